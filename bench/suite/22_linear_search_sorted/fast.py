"""For each amount, the number of sorted price thresholds that it reaches."""
from bisect import bisect_right

n = int(input())
thresholds = list(map(int, input().split()))
q = int(input())
amounts = list(map(int, input().split()))
answers = [bisect_right(thresholds, amount) for amount in amounts]
print("\n".join(map(str, answers)))
