from netmap.network import Network


def test_a_lonely_node():
    assert Network().hops("a") == {"a": 0}


def test_a_triangle_and_a_tail():
    net = Network()
    for a, b in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]:
        net.connect(a, b)
    assert net.hops("a") == {"a": 0, "b": 1, "c": 1, "d": 2}


def test_a_ring_with_chords():
    net = Network()
    for i in range(1200):
        net.connect(i, (i + 1) % 1200)
        if i % 10 == 0:
            net.connect(i, (i + 300) % 1200)
    distance = net.hops(0)
    assert len(distance) == 1200 and distance[600] <= 300
