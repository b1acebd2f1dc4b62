"""For each query, whether it occurs in a sorted list of numbers."""


def contains(items, target):
    if not items:
        return False
    middle = len(items) // 2
    if items[middle] == target:
        return True
    if target < items[middle]:
        return contains(items[:middle], target)
    return contains(items[middle + 1:], target)


n = int(input())
numbers = list(map(int, input().split()))
q = int(input())
queries = list(map(int, input().split()))
answers = []
for x in queries:
    answers.append("YES" if contains(numbers, x) else "NO")
print("\n".join(answers))
