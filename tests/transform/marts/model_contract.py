"""The YAML contract of a model checked on a test's own data (columns and types as built, the unique key),
as tests/transform/test_model_yaml.py does on the demo data: the allocation models' tests call it with
configured rules and budgets, which the demo's default configuration does not have."""

from include.transform.models import load_models
from tests.helpers.transform import q


def assert_yaml_holds(*names: str) -> None:
    models = load_models()
    for name in names:
        model = models[name]
        built = [tuple(row) for row in q(f"SELECT name, type FROM system.columns WHERE database = 'finops' "
                                         f"AND table = '{name}' ORDER BY position")]
        assert built == [(c.name, c.data_type) for c in model.columns], f"{name}: YAML columns differ from the built ones: {built}"
        for test in model.spec.get("data_tests") or []:
            listed = test["unique_combination_of_columns"]["combination_of_columns"]
            # 'tag_*': every configured tag key's column (the key of a rollup that groups by them)
            columns = [c for entry in listed
                       for c in ([n for n, _ in built if n.startswith("tag_")] if entry == "tag_*" else [entry])]
            key = ", ".join(f"`{c}`" for c in columns)
            assert q(f"SELECT count() FROM (SELECT {key} FROM {model.relation} GROUP BY {key} HAVING count() > 1)") \
                == [(0,)], f"{name}: duplicated keys ({key})"
            assert q(f"SELECT count() FROM {model.relation}")[0][0] > 0, f"{name}: no rows to check"
