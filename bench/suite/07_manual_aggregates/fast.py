"""Sum, minimum and maximum of the values in each queried range of an array."""
n = int(input())
values = list(map(int, input().split()))
q = int(input())
answers = []
for _ in range(q):
    left, right = map(int, input().split())
    part = values[left - 1:right]
    has_zero = 0 in part
    answers.append(f"{sum(part)} {min(part)} {max(part)} {'zero' if has_zero else '-'}")
print("\n".join(answers))
