"""Count and sum of the primes up to n."""
n = int(input())
count = 0
total = 0
for candidate in range(2, n + 1):
    is_prime = True
    divisor = 2
    while divisor * divisor <= candidate:
        if candidate % divisor == 0:
            is_prime = False
            break
        divisor += 1
    if is_prime:
        count += 1
        total += candidate
print(count, total)
