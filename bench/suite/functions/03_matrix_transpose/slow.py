class Matrix:
    def __init__(self, rows):
        self.rows = [list(row) for row in rows]

    @staticmethod
    def transpose(rows):
        """The columns of ``rows`` (a list of equally long lists) as a new list of lists."""
        if not rows:
            return []
        result = []
        for j in range(len(rows[0])):
            column = []
            for i in range(len(rows)):
                column.append(rows[i][j])
            result.append(column)
        return result

    def transposed(self):
        return Matrix(Matrix.transpose(self.rows))
