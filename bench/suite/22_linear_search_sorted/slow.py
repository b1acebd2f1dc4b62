"""For each amount, the number of sorted price thresholds that it reaches."""
n = int(input())
thresholds = list(map(int, input().split()))
q = int(input())
amounts = list(map(int, input().split()))
answers = []
for amount in amounts:
    reached = 0
    for t in thresholds:
        if t > amount:
            break
        reached += 1
    answers.append(reached)
print("\n".join(map(str, answers)))
