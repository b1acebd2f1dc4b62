"""Finish time of every task under round-robin scheduling with a fixed time slice."""
n, quantum = map(int, input().split())
remaining = list(map(int, input().split()))
finish = [0] * n
queue = list(range(n))
clock = 0
while queue:
    task = queue.pop(0)
    step = min(quantum, remaining[task])
    clock += step
    remaining[task] -= step
    if remaining[task] > 0:
        queue.append(task)
    else:
        finish[task] = clock
print(" ".join(map(str, finish)))
