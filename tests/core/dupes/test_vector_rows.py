"""Mining's growing copy of the vectors (core/dupes/vector_rows.py)."""

from __future__ import annotations

import numpy as np

from core.dupes.vector_rows import MIN_SPARE, VectorRows


def test_rows_are_added_in_the_room_left_and_leave_in_place_keeping_their_order():
    ids = np.arange(10, dtype=np.int64)
    vecs = np.arange(40, dtype=np.float16).reshape(10, 4)
    rows = VectorRows(np.concatenate([ids, np.zeros(5, np.int64)]),
                      np.concatenate([vecs, np.zeros((5, 4), np.float16)]), 10)
    buffer = rows._vecs
    rows.append(np.array([100, 101]), np.ones((2, 4), np.float32))
    assert rows._vecs is buffer and rows.n == 12 and rows.vecs.dtype == np.float16
    assert rows.ids.tolist() == [*range(10), 100, 101] and rows.vecs[-1].tolist() == [1, 1, 1, 1]
    rows.keep(rows.ids % 2 == 0)                     # the odd ones leave
    assert rows._vecs is buffer and rows.ids.tolist() == [0, 2, 4, 6, 8, 100]
    assert rows.vecs[1].tolist() == vecs[2].tolist()
    rows.append(np.arange(200, 210), np.full((10, 4), 2.0))   # past the room: new buffers, with room
    assert rows._vecs is not buffer and rows.n == 16 and rows.capacity >= 16 + MIN_SPARE
    assert rows.ids.tolist()[:6] == [0, 2, 4, 6, 8, 100] and rows.vecs[5].tolist() == [1, 1, 1, 1]
    assert rows.vecs.dtype == np.float16


def test_an_empty_copy_takes_the_width_of_its_first_vectors():
    rows = VectorRows(np.zeros(0, np.int64), np.zeros((0, 0), np.float32))
    rows.append(np.array([7]), np.ones((1, 3), np.float32))
    assert rows.ids.tolist() == [7] and rows.vecs.shape == (1, 3)
