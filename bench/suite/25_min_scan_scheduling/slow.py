"""Makespan and total completion time when each job goes to the machine that frees up first."""
machines, jobs = map(int, input().split())
durations = list(map(int, input().split()))
loads = [0] * machines
total_completion = 0
for d in durations:
    earliest = loads.index(min(loads))
    loads[earliest] += d
    total_completion += loads[earliest]
print(max(loads), total_completion)
