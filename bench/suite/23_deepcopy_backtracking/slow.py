"""Number of ways to place n non-attacking queens on an n by n board with blocked cells."""
import copy


def safe(board, row, col):
    for r in range(row):
        if board[r][col] == "Q":
            return False
        d = row - r
        if col - d >= 0 and board[r][col - d] == "Q":
            return False
        if col + d < n and board[r][col + d] == "Q":
            return False
    return True


def count(board, row):
    if row == n:
        return 1
    total = 0
    for col in range(n):
        if board[row][col] == "." and safe(board, row, col):
            new_board = copy.deepcopy(board)
            new_board[row][col] = "Q"
            total += count(new_board, row + 1)
    return total


n = int(input())
board = [list(input().strip()) for _ in range(n)]
print(count(board, 0))
