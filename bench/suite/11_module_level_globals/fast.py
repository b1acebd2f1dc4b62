"""Start value up to a limit with the longest Collatz chain, and the total length of all chains."""


def main():
    limit = int(input())
    best_start = 1
    best_length = 1
    total_length = 0
    for start in range(1, limit + 1):
        n = start
        length = 1
        while n != 1:
            if n % 2 == 0:
                n = n // 2
            else:
                n = 3 * n + 1
            length += 1
        total_length += length
        if length > best_length:
            best_length = length
            best_start = start
    print(best_start, best_length, total_length)


main()
