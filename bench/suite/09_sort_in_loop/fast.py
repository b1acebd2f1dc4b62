"""Lower median of the numbers seen so far, after each number of a stream."""
import heapq

n = int(input())
stream = list(map(int, input().split()))
low = []
high = []
medians = []
for x in stream:
    if low and x > -low[0]:
        heapq.heappush(high, x)
    else:
        heapq.heappush(low, -x)
    if len(low) > len(high) + 1:
        heapq.heappush(high, -heapq.heappop(low))
    elif len(high) > len(low):
        heapq.heappush(low, -heapq.heappop(high))
    medians.append(-low[0])
print(" ".join(map(str, medians)))
