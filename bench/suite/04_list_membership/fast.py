"""Number of distinct visitors and number of visits made by members of a VIP list."""
n = int(input())
vips = set(map(int, input().split()))
m = int(input())
visits = list(map(int, input().split()))
distinct = set()
vip_visits = 0
for person in visits:
    distinct.add(person)
    if person in vips:
        vip_visits += 1
print(len(distinct), vip_visits)
