import unittest

from stats import mean


class MeanTest(unittest.TestCase):
    def test_mean_of_three(self) -> None:
        self.assertEqual(mean([1.0, 2.0, 3.0]), 2.0)
