"""Template verification: is a candidate item's spectrum that of the declared type?"""
