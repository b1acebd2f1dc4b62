class Network:
    def __init__(self):
        self.links = {}

    def connect(self, a, b):
        self.links.setdefault(a, []).append(b)
        self.links.setdefault(b, []).append(a)

    def hops(self, start):
        """The number of links from ``start`` to every node it reaches (``start`` itself at 0)."""
        distance = {start: 0}
        visited = [start]
        queue = [start]
        while queue:
            node = queue.pop(0)
            for other in self.links.get(node, []):
                if other not in visited:
                    visited.append(other)
                    distance[other] = distance[node] + 1
                    queue.append(other)
        return distance
