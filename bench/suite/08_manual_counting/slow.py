"""How many times each digit is written when listing every number from 1 to n."""
n = int(input())
counts = {}
for number in range(1, n + 1):
    for digit in str(number):
        if digit in counts:
            counts[digit] += 1
        else:
            counts[digit] = 1
for digit in "0123456789":
    if digit in counts:
        print(digit, counts[digit])
    else:
        print(digit, 0)
