class Matrix:
    def __init__(self, rows):
        self.rows = [list(row) for row in rows]

    @staticmethod
    def transpose(rows):
        """The columns of ``rows`` (a list of equally long lists) as a new list of lists."""
        return [list(column) for column in zip(*rows)]

    def transposed(self):
        return Matrix(Matrix.transpose(self.rows))
