"""For each query, whether it occurs in a sorted list of numbers."""


def contains(items, target):
    lo, hi = 0, len(items) - 1
    while lo <= hi:
        middle = (lo + hi) // 2
        if items[middle] == target:
            return True
        if target < items[middle]:
            hi = middle - 1
        else:
            lo = middle + 1
    return False


n = int(input())
numbers = list(map(int, input().split()))
q = int(input())
queries = list(map(int, input().split()))
answers = []
for x in queries:
    answers.append("YES" if contains(numbers, x) else "NO")
print("\n".join(answers))
