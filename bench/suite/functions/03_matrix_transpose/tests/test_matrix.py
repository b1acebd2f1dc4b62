from linalg.matrix import Matrix


def test_empty():
    assert Matrix.transpose([]) == []


def test_small():
    assert Matrix.transpose([[1, 2, 3], [4, 5, 6]]) == [[1, 4], [2, 5], [3, 6]]


def test_through_an_instance():
    square = Matrix([[i * 60 + j for j in range(60)] for i in range(60)])
    assert square.transposed().rows[3][7] == 7 * 60 + 3
    wide = [[i * j for j in range(200)] for i in range(40)]
    assert Matrix.transpose(Matrix.transpose(wide)) == wide
