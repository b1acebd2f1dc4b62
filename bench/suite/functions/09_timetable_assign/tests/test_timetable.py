from planner.timetable import Timetable


def test_before_between_and_after():
    table = Timetable(["09:00", "12:00", "08:00"])
    assert table.assign([0, 480, 500, 720, 1439]) == [-1, 0, 0, 2, 2]


def test_no_slots():
    assert Timetable([]).assign([5]) == [-1]


def test_a_full_day():
    table = Timetable([f"{h:02d}:{m:02d}" for h in range(24) for m in range(0, 60, 5)])
    found = table.assign([(i * 53) % 1440 for i in range(800)])
    assert found[:3] == [0, 10, 21]
