"""Build the second labelled PII set (gold spans) from Faker and mimesis, for held-out reporting.

    python benchmarks/pii_make_sets.py   # tests/data/pii/generated{,2}_{dev,heldout}.jsonl, generated3_dev

The committed files are what the benchmark reads (Faker and mimesis change their word lists
between versions, so the files, not this script, are the fixed sets). Two generators on purpose:
the PII stage's name lists come from Faker, so half of the rows take their names, addresses and
phone numbers from mimesis, whose lists are its own; the benchmark reports the two halves apart.

The split is by template *and* seed: templates are numbered, and the held-out set uses the
templates with ``id % 3 == 0`` plus a different seed for everything else; the dev set never
contains a held-out template. Only the dev set is looked at while changing rules.

Each row: ``{"text", "spans": [{"type", "start", "end", "value"}], "template", "source", "locale"}``.
Distractors (companies, cities, book titles, products) are in the text but not labelled, so a
name found inside them counts against precision.
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data" / "pii"

# (Faker locale, mimesis locale name)
LOCALES = [
    ("en_US", "EN"),
    ("en_GB", "EN_GB"),
    ("en_AU", "EN_AU"),
    ("de_DE", "DE"),
    ("fr_FR", "FR"),
    ("it_IT", "IT"),
    ("es_ES", "ES"),
    ("nl_NL", "NL"),
    ("pl_PL", "PL"),
    ("sv_SE", "SV"),
    ("da_DK", "DA"),
    ("fi_FI", "FI"),
    ("cs_CZ", "CS"),
    ("pt_BR", "PT_BR"),
    ("tr_TR", "TR"),
    ("en_IN", "EN"),
]
HONORIFICS = ["Mr.", "Mrs.", "Ms.", "Dr.", "Prof.", "Mr", "Ms", "Dr", "Sir", "Herr", "Frau", "Mme", "Miss"]
TITLES_OF_WORKS = [
    "The Old Man and the Sea",
    "Pride and Prejudice",
    "The Great Gatsby",
    "War and Peace",
    "The Catcher in the Rye",
    "Moby Dick",
]
PRODUCTS = ["Excel", "Slack", "Zoom", "Jira", "Outlook", "Teams", "Photoshop"]

# Templates. {slot} is filled by ``fill``; labelled slots are PERSON (full, first, last, first2…,
# lower), STREET_ADDRESS (address, address_ml, street, pobox, unit_address), PHONE_NUMBER (phone),
# EMAIL_ADDRESS (email), CREDIT_CARD (card), US_SSN (ssn), IBAN_CODE (iban), IP_ADDRESS (ip).
# Unlabelled: hon, company, city, work, product, weekday.
TEMPLATES = [
    "The company's founders: {last}, {last2} and {last3}.",
    "Attendees: {full}, {full2}, {full3}.",
    "{hon} {last} will call you back tomorrow about the {product} licence.",
    "Please forward this to {full} before Friday.",
    "Hi {first}, thanks for the update on the invoice.",
    "Thanks again for your help.\n\nBest regards,\n{full}",
    "My colleague {full} lives at {address}.",
    "Dear {hon} {last}, your parcel will be delivered to {address}.",
    "You can reach {first} at {phone} or {email}.",
    "{full} ({email}) reported the issue with {product}.",
    "Send the refund to IBAN {iban}, account holder {full}.",
    "The card {card} belongs to {full}; it expires next year.",
    "SSN: {ssn}, name: {full}, employer: {company}",
    "Suspicious login from {ip} by user {full}.",
    "{first} and {first2} are planning a trip with {first3} to {city}.",
    "Write a thank-you note to {full} for the birthday gift.",
    "Ask {hon} {full} about the lease at {address}.",
    "Contact person: {last}, {first}",
    "Our new intern, {full}, starts on {weekday}. Her phone: {phone}.",
    "Patient {full}, address {address}, tel. {phone}.",
    "Invited: {full}; {full2}; {full3}",
    "I spoke with {last} yesterday, and {last} said the contract with {company} is ready.",
    "Ship to:\n{full}\n{address_ml}",
    "Mail the forms to {pobox}.",
    "Our office moved to {unit_address}.",
    "In case of emergency call {first} on {phone}.",
    "my name is {lower} and i need help with my order",
    "{full} wrote a review of {work}: five stars.",
    "Meeting with {hon} {last} and {hon2} {last2} at {company} on {weekday}.",
    "The authors ({last}, {last2}, and {last3}) thank {full} for comments.",
    "Please update my address to {street}, {city}.",
    "Delivery address: {address}. Phone {phone}.",
    "From: {full} <{email}>\nSubject: {product} access",
    "We hired {full} and {full2} from {company}.",
    "Can {first} send me the {product} report? My number is {phone}.",
    "Witnesses {first} {last}, {first2} {last2} and {first3} {last3} were interviewed.",
    "The tenant, {hon} {full}, of {unit_address}, has paid.",
    "Reviewed by {full}, {company}, {city}.",
    "{first} {last}'s address is {address}",
    "Text {phone} to confirm; ask for {first}.",
    "Server {ip} was configured by {first}.",
    "Wire {company}'s deposit from {iban} and note it for {hon} {last}.",
    "Card holder: {full}, number {card}",
    "The committee ({full}, {full2} and {full3}) met in {city}.",
    "Call me back at {phone} — {first}",
]
HELD_OUT = lambda template_id: template_id % 3 == 0  # noqa: E731

# A second round (``generated2_*``), written later by another hand, for fresh held-out figures:
# new templates (held-out: ``id % 4 == 0``), new seeds and six more locales. Its held-out part
# is only ever reported on.
TEMPLATES_V2 = [
    "Hey {first}, are we still on for lunch on {weekday}?",
    "Quick update from {full}: the {product} migration is done.",
    "Please add {full} and {full2} to the {product} channel.",
    "Re: your application\n\nDear {first},\nthank you for applying to {company}.",
    "I'm writing on behalf of my mother, {full}, who lives at {address}.",
    "Name: {full}\nPhone: {phone}\nEmail: {email}",
    "{full} is our new head of sales; you can reach her at {phone}.",
    "Yesterday {first} told me that {first2} had moved to {address}.",
    "Guest list: {first} {last}, {first2} {last2}, {first3} {last3}.",
    "The package for {hon} {full} was left at {unit_address}.",
    "Can you summarise the email {full} sent about {work}?",
    "Translate this note from {first}: the meeting at {company} is moved to {weekday}.",
    "Our landlord, {full}, asked us to pay into {iban}.",
    "Speakers include {full} ({company}), {full2} and {full3}.",
    "Signed,\n{full}\n{address_ml}",
    "The invoice was addressed to {full}, {street}, {city}.",
    "We thank {hon} {last} and {hon2} {last2} for their support.",
    "Reply to {first} ({email}) and copy {full2}.",
    "{first}'s phone number is {phone}.",
    "According to {full}, the server at {ip} went down twice.",
    "Billing address: {pobox}",
    "Cardholder {full} reported card {card} stolen.",
    "the patient {lower} was discharged on {weekday}",
    "Kind regards,\n{first}\n{phone}",
    "Interview scheduled with {full} on {weekday}; her CV lists {address}.",
    "Who is {full}? Write a short bio for the {company} website.",
    "Rewrite this: {first} and {first2} went to {city} to meet {full3}.",
    "Emergency contact: {full}, {phone}",
    "My brother {first} just moved to {street} in {city}.",
    "Board members: {last}, {last2}, {last3} and {last4}.",
    "{hon} {full} (SSN {ssn}) filed the claim.",
    "Forward the contract to {full} at {email} by {weekday}.",
    "Hi team, {first} here. My new address is {address}.",
    "Book a table for {first} {last} at {company}, {city}.",
    "Congratulations to {full} on the promotion!",
    "Deliver to {full}, {unit_address}. Call {phone} on arrival.",
    "The reviewers were {full}, {full2}, and {full3}.",
    "{first} {last} wrote {work} in 1990.",
    "Please confirm {first}'s booking; the card on file is {card}.",
    "Refund {full} to account {iban} by {weekday}.",
    "Correspondence: {full}, {pobox}",
    "Ask {first} or {first2} whether {company} accepted the offer.",
    "I met {full} at the {product} conference in {city}.",
    "Her maiden name is {last}; she was born in {city}.",
    "Nurse {full} logged in from {ip}.",
    "{full}\n{company}\n{street}\n{city}",
    "Return the keys to {hon} {last} at {address}.",
    "Sent from my phone. -- {first}",
]
HELD_OUT_V2 = lambda template_id: template_id % 4 == 0  # noqa: E731
# A third round, dev only (``generated3_dev``): ordinary sentences with a lone name in them,
# written to find what the first two rounds did not exercise (a surname after "coffee with").
TEMPLATES_V3 = [
    "I had coffee with {last} this morning.",
    "Could you ask {first} to send the slides?",
    "Send the draft to {full} and cc {full2}.",
    "{last} and I disagree about the budget.",
    "The award went to {full} last year.",
    "We interviewed {first} {last} for the role.",
    "Please tell {first} that the meeting moved.",
    "Notes from the call with {last}: approve the plan.",
    "{first} {last} has been promoted to manager.",
    "Our neighbour {first} {last} lost her cat.",
    "My manager, {full}, approved the leave.",
    "Feedback from {full}: the report is too long.",
    "Did {first} reply to your message?",
    "Lunch with {first} and {first2} on Friday.",
    "Thanks to {full} for organising the event.",
    "The lawyer representing {full} filed a motion.",
    "Write an email to {last} apologising for the delay.",
    "Summarise what {full} said in the meeting.",
    "{first}, can you review my pull request?",
    "The contract was signed by {full} and {full2}.",
]
LOCALES_V2 = [
    *LOCALES,
    ("hu_HU", "HU"),
    ("no_NO", "NO"),
    ("pt_PT", "PT"),
    ("es_MX", "ES_MX"),
    ("hr_HR", "HR"),
    ("sk_SK", "SK"),
]


class Source:
    """One row's fake values, from Faker or mimesis, in one locale."""

    def __init__(self, kind: str, faker_locale: str, mimesis_locale: str, rng: random.Random) -> None:
        from faker import Faker

        self.kind, self.rng = kind, rng
        self.faker = Faker(faker_locale)
        self.faker.seed_instance(rng.randrange(2**31))
        self.us = Faker("en_US")
        self.us.seed_instance(rng.randrange(2**31))
        if kind == "mimesis":
            from mimesis import Address, Person
            from mimesis.locales import Locale

            locale = getattr(Locale, mimesis_locale)
            seed = rng.randrange(2**31)
            self.person, self.address_ = Person(locale, seed=seed), Address(locale, seed=seed)

    def first(self) -> str:
        return self.person.first_name() if self.kind == "mimesis" else self.faker.first_name()

    def last(self) -> str:
        return self.person.last_name() if self.kind == "mimesis" else self.faker.last_name()

    def phone(self) -> str:
        if self.rng.random() < 0.3:  # layouts neither library favours
            d = [str(self.rng.randrange(10)) for _ in range(10)]
            layouts = [
                "({0}{1}{2}) {3}{4}{5}-{6}{7}{8}{9}",
                "{0}{1}{2}.{3}{4}{5}.{6}{7}{8}{9}",
                "+44 20 {3}{4}{5}{6} {7}{8}{9}{0}",
                "+49 30 {3}{4}{5}{6}{7}{8}{9}",
                "06 {2}{3} {4}{5} {6}{7} {8}{9}",
                "+1 ({0}{1}{2}) {3}{4}{5} {6}{7}{8}{9}",
                "0{1}{2}{3} {4}{5}{6} {7}{8}{9}",
                "+33 6 {2}{3} {4}{5} {6}{7} {8}{9}",
            ]
            d[0] = str(self.rng.randrange(2, 10))
            d[3] = str(self.rng.randrange(2, 10))
            return self.rng.choice(layouts).format(*d)
        if self.kind == "mimesis":
            return self.person.telephone()
        return self.faker.phone_number()

    def address_lines(self) -> list[str]:
        if self.kind == "mimesis":
            line = self.address_.address()
            return [line, f"{self.address_.postal_code()} {self.address_.city()}"]
        return [line.strip() for line in self.faker.address().split("\n") if line.strip()]

    def address(self) -> str:
        return ", ".join(self.address_lines())

    def address_ml(self) -> str:
        return "\n".join(self.address_lines())

    def street(self) -> str:
        if self.kind == "mimesis":
            return self.address_.address()
        return self.faker.street_address()

    def pobox(self) -> str:
        n = self.rng.randrange(10, 99999)
        city = self.us.city()
        return self.rng.choice(
            [
                f"P.O. Box {n}, {city}, {self.us.state_abbr()} {self.us.zipcode()}",
                f"PO Box {n}, {city} {self.us.zipcode()}",
                f"Postfach {n}, {self.rng.randrange(10000, 99999)} Berlin",
                f"BP {n}, {self.rng.randrange(10000, 99999)} Lyon Cedex",
            ]
        )

    def unit_address(self) -> str:
        unit = self.rng.choice(["Flat", "Apt", "Apt.", "Unit", "Suite", "Apartment"])
        street = self.street()
        return f"{unit} {self.rng.randrange(1, 400)}, {street}, {self.city()}"

    def city(self) -> str:
        return self.address_.city() if self.kind == "mimesis" else self.faker.city()


def fill(template: str, source: Source, rng: random.Random) -> tuple[str, list[dict]]:
    people: dict[str, tuple[str, str]] = {}

    def person(suffix: str) -> tuple[str, str]:
        if suffix not in people:
            people[suffix] = (source.first(), source.last())
        return people[suffix]

    text, spans, position = "", [], 0
    for match in re.finditer(r"\{(\w+?)(\d?)\}", template):
        text += template[position : match.start()]
        position = match.end()
        slot, suffix = match.group(1), match.group(2)
        label = None
        if slot in ("full", "first", "last", "lower"):
            first, last = person(suffix)
            value = {"full": f"{first} {last}", "first": first, "last": last}.get(slot)
            if slot == "lower":
                value = f"{first} {last}".lower()
            label = "PERSON"
        elif slot in ("address", "address_ml", "street", "pobox", "unit_address"):
            value, label = getattr(source, slot)(), "STREET_ADDRESS"
        elif slot == "phone":
            value, label = source.phone(), "PHONE_NUMBER"
        elif slot == "email":
            value, label = source.us.free_email(), "EMAIL_ADDRESS"
        elif slot == "card":
            value, label = source.us.credit_card_number(), "CREDIT_CARD"
        elif slot == "ssn":
            value, label = source.us.ssn(), "US_SSN"
        elif slot == "iban":
            value, label = source.faker.iban(), "IBAN_CODE"
        elif slot == "ip":
            value = source.us.ipv4_public() if rng.random() < 0.8 else source.us.ipv6()
            label = "IP_ADDRESS"
        elif slot == "hon":
            value = rng.choice(HONORIFICS)
        elif slot == "company":
            value = source.faker.company()
        elif slot == "city":
            value = source.city()
        elif slot == "work":
            value = rng.choice(TITLES_OF_WORKS)
        elif slot == "product":
            value = rng.choice(PRODUCTS)
        elif slot == "weekday":
            value = rng.choice(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"])
        else:
            raise KeyError(slot)
        if label:
            spans.append({"type": label, "start": len(text), "end": len(text) + len(value), "value": value})
        text += value
    text += template[position:]
    return text, spans


def build(held_out: bool, rows: int, seed: int, round_: int = 1) -> list[dict]:
    rng = random.Random(seed)
    templates, split, locales = {
        1: (TEMPLATES, HELD_OUT, LOCALES),
        2: (TEMPLATES_V2, HELD_OUT_V2, LOCALES_V2),
        3: (TEMPLATES_V3, lambda template_id: False, LOCALES_V2),
    }[round_]
    ids = [i for i in range(len(templates)) if split(i) == held_out]
    out = []
    for n in range(rows):
        template_id = ids[n % len(ids)]
        faker_locale, mimesis_locale = locales[rng.randrange(len(locales))]
        kind = "faker" if n % 2 == 0 else "mimesis"
        source = Source(kind, faker_locale, mimesis_locale, rng)
        text, spans = fill(templates[template_id], source, rng)
        out.append(
            {"text": text, "spans": spans, "template": template_id, "source": kind, "locale": faker_locale}
        )
    return out


def main() -> int:
    try:
        import faker  # noqa: F401
        import mimesis  # noqa: F401
    except ImportError as error:
        print(f"error: {error.name} is needed to regenerate the sets (pip install faker mimesis)")
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    sets = (
        ("generated_dev", False, 600, 1, 1),
        ("generated_heldout", True, 1200, 2, 1),
        ("generated2_dev", False, 600, 11, 2),
        ("generated2_heldout", True, 1200, 12, 2),
        ("generated3_dev", False, 480, 21, 3),
    )
    for name, held_out, rows, seed, round_ in sets:
        path = OUT / f"{name}.jsonl"
        data = build(held_out, rows, seed, round_)
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in data), encoding="utf-8")
        print(f"{path.relative_to(ROOT)}: {len(data)} rows, {sum(len(r['spans']) for r in data)} spans")
    return 0


if __name__ == "__main__":
    sys.exit(main())
