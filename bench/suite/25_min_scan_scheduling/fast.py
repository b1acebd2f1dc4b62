"""Makespan and total completion time when each job goes to the machine that frees up first."""
import heapq

machines, jobs = map(int, input().split())
durations = list(map(int, input().split()))
loads = [(0, i) for i in range(machines)]
total_completion = 0
for d in durations:
    load, machine = heapq.heappop(loads)
    load += d
    total_completion += load
    heapq.heappush(loads, (load, machine))
print(max(loads)[0], total_completion)
