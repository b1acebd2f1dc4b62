from collections import deque


class Network:
    def __init__(self):
        self.links = {}

    def connect(self, a, b):
        self.links.setdefault(a, []).append(b)
        self.links.setdefault(b, []).append(a)

    def hops(self, start):
        """The number of links from ``start`` to every node it reaches (``start`` itself at 0)."""
        distance = {start: 0}
        queue = deque([start])
        links = self.links
        while queue:
            node = queue.popleft()
            step = distance[node] + 1
            for other in links.get(node, ()):
                if other not in distance:
                    distance[other] = step
                    queue.append(other)
        return distance
