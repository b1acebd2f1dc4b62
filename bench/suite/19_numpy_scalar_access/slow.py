"""Length of the longest common subsequence of two strings."""
import numpy as np

a = input().strip()
b = input().strip()
n, m = len(a), len(b)
dp = np.zeros((n + 1, m + 1), dtype=np.int64)
for i in range(1, n + 1):
    for j in range(1, m + 1):
        if a[i - 1] == b[j - 1]:
            dp[i, j] = dp[i - 1, j - 1] + 1
        else:
            dp[i, j] = max(dp[i - 1, j], dp[i, j - 1])
print(int(dp[n, m]))
