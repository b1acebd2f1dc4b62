from crm.records.grouping import group_by


def test_keys_are_folded():
    records = [{"city": "Oslo"}, {"city": " oslo "}, {"city": "Bergen"}, {}]
    groups = group_by(records, "city")
    assert list(groups) == ["oslo", "bergen", None]
    assert len(groups["oslo"]) == 2


def test_many_customers():
    records = [{"id": i, "city": f"City{i % 300}"} for i in range(2000)]
    groups = group_by(records, "city")
    assert len(groups) == 300 and [r["id"] for r in groups["city7"]][:2] == [7, 307]
