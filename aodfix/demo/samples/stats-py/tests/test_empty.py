import unittest

from stats import mean


class EmptyTest(unittest.TestCase):
    def test_an_empty_list_is_a_value_error(self) -> None:
        with self.assertRaises(ValueError):
            mean([])
