"""Sum, minimum and maximum of the values in each queried range of an array."""
n = int(input())
values = list(map(int, input().split()))
q = int(input())
answers = []
for _ in range(q):
    left, right = map(int, input().split())
    total = 0
    lowest = values[left - 1]
    highest = values[left - 1]
    for i in range(left - 1, right):
        total += values[i]
        if values[i] < lowest:
            lowest = values[i]
        if values[i] > highest:
            highest = values[i]
    has_zero = False
    for i in range(left - 1, right):
        if values[i] == 0:
            has_zero = True
            break
    answers.append(f"{total} {lowest} {highest} {'zero' if has_zero else '-'}")
print("\n".join(answers))
