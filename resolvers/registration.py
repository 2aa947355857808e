"""Tờ khai mẫu 01: submitting the form, and the officers' decision on it."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth import scopes, throttle
from auth.passwords import hash_password
from auth.secrets import keyed_hash, same
from auth.viewer import Role, Viewer
from infra.outbox import enqueue
from infra.uploads import Photo, check_upload_csrf, read_photo, store_photo
from models.admin_units import PROVINCES as _PROVINCES
from models.rules.records import check_id_document
from models.tables import account_t, auth_session_t, office_t, person_t, registration_t
from models.text import normalize_name
from models.types import VIETNAM_TZ, utcnow
from resolvers import validate
from resolvers.account import ACCOUNT_COLUMNS, check_captcha, client_address
from resolvers.context import Context, require_viewer
from resolvers.errors import BadUserInput, InvalidArguments, RateLimited
from resolvers.events import audit, events_committed, inserted_id, record_event
from resolvers.outcomes import Invalid, Problem, Problems, Refused
from resolvers.pagination import Ordering, page
from resolvers.slices import Slice, fetch_page, where_all

REGISTRATION_ORDER = Ordering(
    "registration",
    (registration_t.c.submitted_at, registration_t.c.id),
    descending=True,
    kinds=("datetime", "int"),
)

Path_ = tuple[str, ...]
INPUT: Path_ = ("input",)
NO_MATCH = (
    "No insured person has this social-insurance code with this name. Check both against the "
    "sổ BHXH or the BHYT card (the name as written there, with its diacritics)."
)
PROVINCE = re.compile(r"^\d{2}$")
DISTRICT = re.compile(r"^\d{3}$")
WARD = re.compile(r"^\d{5}$")


async def registrations(context: Context, status: str | None, first: int | None, after: str | None) -> Slice:
    require_viewer(context)
    page_ = page(first, after, REGISTRATION_ORDER, context.cursors)
    statement = where_all(
        select(registration_t),
        scopes.registrations(context.viewer),
        registration_t.c.status == status if status else None,
    )
    return await fetch_page(context.session, statement, REGISTRATION_ORDER, page_)


# ---------- shared checks (also used by the data-entry mutations) ----------


PROVINCE_CODES = frozenset(p.code for p in _PROVINCES)


def vietnam_today() -> date:
    return datetime.now(VIETNAM_TZ).date()


def name_key(name: str) -> str:
    """How a name is compared with the record: NFC, case folded, single spaces. Diacritics count:
    "Nguyen Thanh Bien" is not "Nguyễn Thành Biên", but the decomposed (NFD) spelling of it is."""
    return unicodedata.normalize("NFC", normalize_name(name).casefold())


def same_name(given: str, recorded: str) -> bool:
    return name_key(given) == name_key(recorded)


def optional_text(value: str | None) -> str | None:
    """Stripped, or None when absent or blank."""
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


def check_text(
    problems: Problems, path: Path_, value: str | None, label: str, limit: int, *, required: bool
) -> str | None:
    """A free-text field: trimmed (names NFC and single-spaced); None when blank and optional."""
    text = optional_text(value)
    if text is None:
        if required:
            problems.add(path, "REQUIRED", f"{label} is required.")
        return None
    if len(text) > limit:
        problems.add(path, "TOO_LONG", f"{label} has at most {limit} characters (got {len(text)}).")
        return None
    return text


@dataclass(frozen=True, slots=True)
class AddressValue:
    province_code: str
    ward_code: str
    district_code: str | None = None
    street: str | None = None


@dataclass(frozen=True, slots=True)
class CheckedAddress:
    scheme: str
    province_code: str
    district_code: str | None
    ward_code: str
    street: str | None
    # The 2004-scheme province whose office manages a record at this address.
    province_scope: str

    def columns(self) -> dict[str, Any]:
        return {
            "address_scheme": self.scheme,
            "province_code": self.province_code,
            "district_code": self.district_code,
            "ward_code": self.ward_code,
            "street": self.street,
        }


async def check_address(
    context: Context, problems: Problems, path: Path_, address: AddressValue
) -> CheckedAddress | None:
    """An address in either shape: 2004 (province → district → ward, chained by parent codes) when
    it names a district, 2025 (province → ward, no district) when it does not."""
    province = address.province_code.strip()
    district = optional_text(address.district_code)
    ward = address.ward_code.strip()
    street = check_text(problems, (*path, "street"), address.street, "The street", 200, required=False)
    before = len(problems.items)
    if not PROVINCE.match(province):
        problems.add((*path, "provinceCode"), "FORMAT", 'A province code is 2 digits, such as "01".')
    if district is not None and not DISTRICT.match(district):
        problems.add((*path, "districtCode"), "FORMAT", 'A district code is 3 digits, such as "282".')
    if not WARD.match(ward):
        problems.add((*path, "wardCode"), "FORMAT", 'A ward or commune code is 5 digits, such as "10081".')
    if len(problems.items) > before:
        return None
    keys = [(s, c) for s in ("2004", "2025") for c in (province, district, ward) if c is not None]
    rows = await context.loaders.admin_units_by_code.load_many(keys)
    found = {(r.scheme, r.code): r for r in rows if r is not None}

    def unit(scheme: str, code: str, level: str) -> Any | None:
        row = found.get((scheme, code))
        return row if row is not None and row.level == level else None

    if district is not None:
        p, d = unit("2004", province, "PROVINCE"), unit("2004", district, "DISTRICT")
        w = unit("2004", ward, "WARD")
        if p is None:
            problems.add((*path, "provinceCode"), "NOT_FOUND", f"No province has the code {province}.")
        if d is None:
            problems.add((*path, "districtCode"), "NOT_FOUND", f"No district has the code {district}.")
        elif p is not None and d.parent_code != province:
            problems.add(
                (*path, "districtCode"),
                "MISMATCH",
                f"District {district} ({d.name}) is not in province {province}.",
            )
        if w is None:
            problems.add((*path, "wardCode"), "NOT_FOUND", f"No ward or commune has the code {ward}.")
        elif d is not None and w.parent_code != district:
            problems.add(
                (*path, "wardCode"), "MISMATCH", f"Ward {ward} ({w.name}) is not in district {district}."
            )
        if len(problems.items) > before:
            return None
        return CheckedAddress("2004", province, district, ward, street, province)
    p = unit("2025", province, "PROVINCE")
    w = unit("2025", ward, "WARD")
    if p is None:
        if unit("2004", province, "PROVINCE") is not None:
            problems.add(
                (*path, "districtCode"),
                "REQUIRED",
                f"Province {province} is a province of before 2025-07-01: give the district too "
                "(three-level address), or the code of the province it belongs to now.",
            )
        else:
            problems.add((*path, "provinceCode"), "NOT_FOUND", f"No province has the code {province}.")
    if w is None:
        problems.add((*path, "wardCode"), "NOT_FOUND", f"No ward or commune has the code {ward}.")
    elif p is not None and w.parent_code != province:
        problems.add(
            (*path, "wardCode"), "MISMATCH", f"Commune {ward} ({w.name}) is not in province {province}."
        )
    if len(problems.items) > before:
        return None
    # Commune codes did not change in 2025: the 2004 row of the ward names the managing province.
    old = await context.loaders.admin_units_by_code.load(("2004", ward))
    return CheckedAddress("2025", province, None, ward, street, old.province_code if old else province)


# ---------- submitting the form ----------


@dataclass(frozen=True, slots=True)
class Submission:
    applicant_name: str
    social_insurance_code: str
    id_document_type: str
    id_document_number: str
    contact_address: AddressValue
    phone: str
    start_date: date
    channel: str
    receiving_office_code: str
    submission_method: str
    contact_person: str | None = None
    email: str | None = None
    portrait: Any = None
    id_front: Any = None
    id_back: Any = None
    client_mutation_id: str | None = None
    purpose: str = "REGISTER"


@dataclass(frozen=True, slots=True)
class Submitted:
    registration: Any


PHOTOS = (
    ("portrait", "portrait_sha256", "The portrait"),
    ("id_front", "id_front_sha256", "The front of the ID document"),
    ("id_back", "id_back_sha256", "The back of the ID document"),
)
PHOTO_FIELDS = {"portrait": "portrait", "id_front": "idFront", "id_back": "idBack"}


async def _registration(session: AsyncSession, condition: Any) -> Any | None:
    return (await session.execute(select(registration_t).where(condition))).first()


def input_fingerprint(key: str, form: Submission, photo_hashes: dict[str, str]) -> str:
    """What a clientMutationId is bound to: a keyed hash of the whole form as sent (photos by their
    content hash). Keyed, so that the column confirms no guess of a form to whoever reads it."""
    address = form.contact_address
    values = {
        "applicantName": form.applicant_name.strip(),
        "socialInsuranceCode": form.social_insurance_code.strip(),
        "idDocumentType": form.id_document_type,
        "idDocumentNumber": form.id_document_number.strip().upper(),
        "contactAddress": [address.province_code, address.district_code, address.ward_code, address.street],
        "contactPerson": form.contact_person,
        "email": form.email,
        "phone": form.phone.strip(),
        "startDate": form.start_date.isoformat(),
        "channel": form.channel,
        "receivingOfficeCode": form.receiving_office_code.strip(),
        "submissionMethod": form.submission_method,
        "photos": photo_hashes,
    }
    return keyed_hash(key, "registration-input", json.dumps(values, sort_keys=True, ensure_ascii=False))


def _replay(existing: Any, fingerprint: str, problems: Problems, client_id: str) -> Submitted | None:
    """The same clientMutationId again: the same registration, only for the very same form. Its
    answer shows the stored form, so anything else (another person's key, or the same applicant
    with another phone) is refused with nothing of the stored form in the answer (finding 5)."""
    if existing.input_fingerprint is not None and same(existing.input_fingerprint, fingerprint):
        return Submitted(existing)
    problems.add(
        (*INPUT, "clientMutationId"),
        "ALREADY_USED",
        f"The clientMutationId {client_id!r} was sent before with a different form: a retry sends "
        "the same form, a new form a new clientMutationId.",
    )
    return None


async def submit_registration(context: Context, form: Submission) -> Submitted | Invalid:
    session = context.session
    if any(getattr(form, name) is not None for name, _, _ in PHOTOS):
        check_upload_csrf(context)
    problems = Problems()

    client_id = check_text(
        problems,
        (*INPUT, "clientMutationId"),
        form.client_mutation_id,
        "clientMutationId",
        64,
        required=False,
    )
    photos: dict[str, Photo] = {}
    for attribute, _, label in PHOTOS:
        upload = getattr(form, attribute)
        if upload is not None:
            photo = await read_photo(upload, (*INPUT, PHOTO_FIELDS[attribute]), label, problems)
            if photo is not None:
                photos[attribute] = photo
    fingerprint = input_fingerprint(
        context.runtime.settings.secret_key, form, {name: photo.sha256 for name, photo in photos.items()}
    )
    if client_id is not None:
        existing = await _registration(session, registration_t.c.client_mutation_id == client_id)
        if existing is not None:
            replayed = _replay(existing, fingerprint, problems, client_id)
            if replayed is not None:
                return replayed

    name = check_text(
        problems, (*INPUT, "applicantName"), form.applicant_name, "The applicant's name", 120, required=True
    )
    code = form.social_insurance_code.strip()
    person = None
    if not validate.SOCIAL_INSURANCE_CODE.match(code):
        problems.add(
            (*INPUT, "socialInsuranceCode"), "FORMAT", "A social-insurance code is exactly 10 digits."
        )
    elif name is not None:
        person = (
            await session.execute(
                select(
                    person_t.c.id,
                    person_t.c.full_name,
                    person_t.c.province_scope,
                    person_t.c.id_type,
                    person_t.c.id_number,
                    person_t.c.gender,
                    person_t.c.date_of_birth,
                ).where(person_t.c.social_insurance_code == code)
            )
        ).first()
        # One answer for "no such code" and "another name": the form is no way to probe codes.
        if person is None or not same_name(name, person.full_name):
            problems.add((*INPUT, "socialInsuranceCode"), "NO_MATCH", NO_MATCH)
            person = None
    if person is not None:
        account = (
            await session.execute(
                select(account_t.c.id, account_t.c.disabled).where(
                    or_(account_t.c.person_id == person.id, account_t.c.username == code)
                )
            )
        ).first()
        if form.purpose != "REGISTER" and (account is None or account.disabled):
            problems.add(
                (*INPUT, "purpose"),
                "NO_ACCOUNT",
                f"{form.purpose} changes an existing account: this code has none in use (purpose REGISTER "
                "asks for one).",
            )
        elif form.purpose == "REGISTER" and account is not None:
            problems.add(
                (*INPUT, "socialInsuranceCode"),
                "ACCOUNT_EXISTS",
                "This social-insurance code already has an account: sign in with it, or get a new "
                "password by SMS (quên mật khẩu: requestPasswordReset, then resetPassword).",
            )
        if not problems.has((*INPUT, "socialInsuranceCode")) and not problems.has((*INPUT, "purpose")):
            waiting = await _registration(
                session,
                (registration_t.c.social_insurance_code == code) & (registration_t.c.status == "PENDING"),
            )
            if waiting is not None and client_id is not None and waiting.client_mutation_id == client_id:
                # A retry that crossed its first attempt's commit after the lookup above.
                replayed = _replay(waiting, fingerprint, problems, client_id)
                if replayed is not None:
                    return replayed
            elif waiting is not None:
                problems.add(
                    (*INPUT, "socialInsuranceCode"),
                    "PENDING_EXISTS",
                    "A form for this social-insurance code is already waiting for a decision.",
                )

    id_type = form.id_document_type
    id_number = form.id_document_number.strip().upper()
    pattern, rule = validate.ID_FORMATS[id_type]
    if not pattern.match(id_number):
        problems.add((*INPUT, "idDocumentNumber"), "FORMAT", f"{rule[0].upper()}{rule[1:]}.")
    elif person is not None and not any(p.code == "ACCOUNT_EXISTS" for p in problems.items):
        for v in check_id_document(
            id_type,
            id_number,
            recorded_type=person.id_type,
            recorded_number=person.id_number,
            provinces=PROVINCE_CODES,
        ):
            if v.code == "ID_MISMATCH":
                # The same answer as another name: the form is no way to test a person's ID number
                # (the officer sees ID_MISMATCH on approval, should the record change meanwhile).
                problems.add((*INPUT, "socialInsuranceCode"), "NO_MATCH", NO_MATCH)
            else:
                problems.add((*INPUT, v.field), v.code, v.message)

    address = await check_address(context, problems, (*INPUT, "contactAddress"), form.contact_address)
    contact_person = check_text(
        problems, (*INPUT, "contactPerson"), form.contact_person, "The contact person", 120, required=False
    )
    phone = validate.normalize_mobile(form.phone.strip())
    if not validate.MOBILE.match(phone):
        problems.add(
            (*INPUT, "phone"),
            "FORMAT",
            "A Vietnamese mobile number: 10 digits starting 03, 05, 07, 08 or 09 (or +84 instead of 0).",
        )
    email = optional_text(form.email)
    if email is not None and (len(email) > 254 or not validate.EMAIL.match(email)):
        problems.add((*INPUT, "email"), "FORMAT", "This is not an e-mail address.")
    today = vietnam_today()
    if form.start_date < today:
        problems.add(
            (*INPUT, "startDate"),
            "IN_THE_PAST",
            f"The start date cannot be before today ({today.isoformat()}).",
        )
    office = (
        await session.execute(
            select(office_t.c.id, office_t.c.province_code, office_t.c.level, office_t.c.name).where(
                office_t.c.code == form.receiving_office_code.strip()
            )
        )
    ).first()
    if office is None:
        problems.add(
            (*INPUT, "receivingOfficeCode"),
            "NOT_FOUND",
            f"No BHXH office has the code {form.receiving_office_code!r} (see the offices query).",
        )
    elif person is not None and office.level != "NATIONAL" and office.province_code != person.province_scope:
        problems.add(
            (*INPUT, "receivingOfficeCode"),
            "OFFICE_OUT_OF_PROVINCE",
            f"The form goes to the office of the person's province ({person.province_scope}) or the national "
            f"office (00): {office.name} is another province's.",
        )

    if problems or person is None or address is None or office is None or name is None:
        return Invalid(problems.items)

    hashes = {}
    for attribute, column, _ in PHOTOS:
        if attribute in photos:
            hashes[column] = await store_photo(context.runtime.settings.upload_dir, photos[attribute])

    now = utcnow()
    # Decided by the officers of the person's province, whichever office received it.
    scope = person.province_scope
    try:
        inserted = await session.execute(
            insert(registration_t).values(
                reference_number="T" + secrets.token_hex(9),
                client_mutation_id=client_id,
                input_fingerprint=fingerprint if client_id is not None else None,
                status="PENDING",
                applicant_name=normalize_name(name),
                social_insurance_code=code,
                id_type=id_type,
                id_number=id_number,
                contact_person=contact_person,
                email=email,
                phone=phone,
                start_date=form.start_date,
                channel=form.channel,
                receiving_office_id=office.id,
                province_scope=scope,
                submission_method=form.submission_method,
                submitted_at=now,
                purpose=form.purpose,
                **address.columns(),
                **hashes,
            )
        )
    except IntegrityError:
        # A concurrent submission won a unique constraint: the same clientMutationId, or a pending
        # form for the same code.
        await session.rollback()
        return await _lost_race(context, code, client_id, fingerprint)
    registration_id = inserted_id(inserted)
    reference = f"{scope}-{now.astimezone(VIETNAM_TZ).year}-{registration_id:06d}"
    await session.execute(
        update(registration_t)
        .where(registration_t.c.id == registration_id)
        .values(reference_number=reference)
    )
    await record_event(
        session,
        "REGISTRATION_SUBMITTED",
        "Registration",
        registration_id,
        person_id=person.id,
        province_code=scope,
    )
    await audit(
        session,
        context.viewer,
        "submitRegistration",
        "Registration",
        registration_id,
        {"reference": reference, "socialInsuranceCode": code, "photos": sorted(hashes)},
    )
    await session.commit()
    events_committed(context)
    row = await _registration(session, registration_t.c.id == registration_id)
    return Submitted(row)


async def _lost_race(
    context: Context, code: str, client_id: str | None, fingerprint: str
) -> Submitted | Invalid:
    session = context.session
    problems = Problems()
    if client_id is not None:
        existing = await _registration(session, registration_t.c.client_mutation_id == client_id)
        if existing is not None:
            replayed = _replay(existing, fingerprint, problems, client_id)
            return replayed if replayed is not None else Invalid(problems.items)
    pending = await _registration(
        session, (registration_t.c.social_insurance_code == code) & (registration_t.c.status == "PENDING")
    )
    if pending is not None:
        problems.add(
            (*INPUT, "socialInsuranceCode"),
            "PENDING_EXISTS",
            "A form for this social-insurance code is already waiting for a decision.",
        )
        return Invalid(problems.items)
    raise RuntimeError("registration insert refused by a constraint other than the expected ones")


# ---------- the officer's decision ----------


@dataclass(frozen=True, slots=True)
class Decided:
    registration: Any
    account: Any | None


PASSWORD_LENGTH = 12
# No look-alikes (0/O, 1/l/I): the password is read from an SMS and typed by hand.
_LOWER = "abcdefghijkmnopqrstuvwxyz"
_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_DIGITS = "23456789"


def temporary_password() -> str:
    """12 random characters with a lower-case letter, an upper-case letter and a digit."""
    alphabet = _LOWER + _UPPER + _DIGITS
    chars = [secrets.choice(_LOWER), secrets.choice(_UPPER), secrets.choice(_DIGITS)]
    chars += [secrets.choice(alphabet) for _ in range(PASSWORD_LENGTH - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def ascii_text(text: str) -> str:
    """Without diacritics, case kept: what SMS gateways expect."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _not_found(field: str = "registrationId") -> Invalid:
    return Invalid([Problem((*INPUT, field), "NOT_FOUND", "No registration has this id.")])


def _already_decided(status: str) -> Invalid:
    return Invalid(
        [
            Problem(
                (*INPUT, "registrationId"),
                "ALREADY_DECIDED",
                f"This registration was already decided ({status}); only a pending one can be.",
            )
        ]
    )


def _officer(viewer: Viewer) -> Refused | None:
    if viewer.role is not Role.OFFICER:
        return Refused("Only BHXH officers of the receiving province approve or reject registrations.")
    return None


async def _pending_in_scope(context: Context, viewer: Viewer, registration_id: str) -> Any | Invalid:
    from schema.node import parse_global_id  # the id format is the schema's

    try:
        _, pk = parse_global_id(registration_id, "Registration", "registrationId")
    except BadUserInput:
        return _not_found()
    row = await _registration(context.session, (registration_t.c.id == pk) & scopes.registrations(viewer))
    return row if row is not None else _not_found()


async def approve_registration(
    context: Context, registration_id: str, document_verified: bool
) -> Decided | Invalid | Refused:
    viewer = require_viewer(context)
    refused = _officer(viewer)
    if refused is not None:
        return refused
    session = context.session
    found = await _pending_in_scope(context, viewer, registration_id)
    if isinstance(found, Invalid):
        return found
    problems = Problems()
    if not document_verified:
        problems.add(
            (*INPUT, "documentVerified"),
            "DOCUMENTS_NOT_VERIFIED",
            "Check the applicant's ID document against the form (giấy tờ đã đối chiếu) before approving.",
        )
    if found.status != "PENDING":
        return Invalid([*problems.items, *_already_decided(found.status).problems])
    person = (
        await session.execute(
            select(
                person_t.c.id,
                person_t.c.province_scope,
                person_t.c.id_type,
                person_t.c.id_number,
                person_t.c.gender,
                person_t.c.date_of_birth,
            ).where(person_t.c.social_insurance_code == found.social_insurance_code)
        )
    ).first()
    if person is None:
        problems.add(
            (*INPUT, "registrationId"), "NOT_FOUND", "The insured person of this form no longer exists."
        )
    else:
        # The record may have changed since the form came in: the rules again, on the form's ID.
        for v in check_id_document(
            found.id_type,
            found.id_number,
            recorded_type=person.id_type,
            recorded_number=person.id_number,
            provinces=PROVINCE_CODES,
        ):
            problems.add((*INPUT, "registrationId"), v.code, v.message)
        if viewer.province_code is not None and viewer.province_code != person.province_scope:
            problems.add(
                (*INPUT, "registrationId"),
                "OFFICE_OUT_OF_PROVINCE",
                f"Only officers of the person's province ({person.province_scope}) decide this form.",
            )
        if found.purpose != "REGISTER" and not problems:
            return await _apply_change(context, viewer, found, person.id)
        account = (
            await session.execute(
                select(account_t.c.id).where(
                    or_(
                        account_t.c.person_id == person.id,
                        account_t.c.username == found.social_insurance_code,
                    )
                )
            )
        ).first()
        if account is not None and found.purpose == "REGISTER":
            problems.add(
                (*INPUT, "registrationId"),
                "ACCOUNT_EXISTS",
                "This social-insurance code already has an account: reject the form instead.",
            )
    if problems or person is None:
        return Invalid(problems.items)

    password = temporary_password()
    # argon2 costs ~64 MiB and tens of milliseconds: off the event loop, and before any lock is held.
    password_hash = await asyncio.to_thread(hash_password, password)
    now = utcnow()
    decided = await session.execute(
        update(registration_t)
        .where(registration_t.c.id == found.id, registration_t.c.status == "PENDING")
        .values(status="APPROVED", decided_at=now, decided_by_account_id=viewer.account_id)
    )
    if decided.rowcount != 1:  # type: ignore[attr-defined]
        await session.rollback()
        return _already_decided("by another officer")
    try:
        created = await session.execute(
            insert(account_t).values(
                username=found.social_insurance_code,
                password_hash=password_hash,
                role=Role.CITIZEN.value,
                person_id=person.id,
                must_change_password=True,
                password_changed_at=now,
                created_at=now,
                disabled=False,
            )
        )
    except IntegrityError:
        await session.rollback()
        return Invalid(
            [
                Problem(
                    (*INPUT, "registrationId"),
                    "ACCOUNT_EXISTS",
                    "This social-insurance code already has an account: reject the form instead.",
                )
            ]
        )
    account_id = inserted_id(created)
    await enqueue(
        session,
        "sms",
        found.phone,
        "account_created",
        username=found.social_insurance_code,
        password=password,
    )
    if found.email:
        await enqueue(
            session,
            "email",
            found.email,
            "account_created",
            username=found.social_insurance_code,
            password=password,
        )
    await record_event(
        session,
        "REGISTRATION_APPROVED",
        "Registration",
        found.id,
        person_id=person.id,
        province_code=found.province_scope,
    )
    await audit(
        session,
        viewer,
        "approveRegistration",
        "Registration",
        found.id,
        {"reference": found.reference_number, "accountId": account_id, "documentVerified": True},
    )
    await session.commit()
    events_committed(context)
    context.runtime.outbox_wake()
    row = await _registration(session, registration_t.c.id == found.id)
    account_row = (await session.execute(select(*ACCOUNT_COLUMNS).where(account_t.c.id == account_id))).one()
    return Decided(row, account_row)


async def _apply_change(context: Context, viewer: Viewer, found: Any, person_id: int) -> Decided | Invalid:
    """ADJUST: the form's phone, e-mail and contact address become the record's (the managing
    province stays: a move to another province is a transfer at the office). STOP: the account is
    disabled and its sessions end at once (and with them its subscriptions)."""
    session = context.session
    account = (
        await session.execute(
            select(account_t.c.id, account_t.c.disabled).where(account_t.c.person_id == person_id)
        )
    ).first()
    if account is None or account.disabled:
        return Invalid(
            [
                Problem(
                    (*INPUT, "registrationId"),
                    "NO_ACCOUNT",
                    "This code has no account in use: reject the form.",
                )
            ]
        )
    now = utcnow()
    decided = await session.execute(
        update(registration_t)
        .where(registration_t.c.id == found.id, registration_t.c.status == "PENDING")
        .values(status="APPROVED", decided_at=now, decided_by_account_id=viewer.account_id)
    )
    if decided.rowcount != 1:  # type: ignore[attr-defined]
        await session.rollback()
        return _already_decided("by another officer")
    detail: dict[str, Any] = {"reference": found.reference_number, "purpose": found.purpose}
    if found.purpose == "ADJUST":
        await session.execute(
            update(person_t)
            .where(person_t.c.id == person_id)
            .values(
                phone=found.phone,
                email=found.email,
                address_scheme=found.address_scheme,
                province_code=found.province_code,
                district_code=found.district_code,
                ward_code=found.ward_code,
                street=found.street,
            )
        )
        detail["changed"] = ["phone", "email", "address"]
    else:
        await session.execute(update(account_t).where(account_t.c.id == account.id).values(disabled=True))
        await session.execute(
            update(auth_session_t)
            .where(auth_session_t.c.account_id == account.id, auth_session_t.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        detail["accountDisabled"] = account.id
    await record_event(
        session,
        "REGISTRATION_APPROVED",
        "Registration",
        found.id,
        person_id=person_id,
        province_code=found.province_scope,
    )
    await audit(session, viewer, "approveRegistration", "Registration", found.id, detail)
    await session.commit()
    events_committed(context)
    row = await _registration(session, registration_t.c.id == found.id)
    account_row = (await session.execute(select(*ACCOUNT_COLUMNS).where(account_t.c.id == account.id))).one()
    return Decided(row, account_row)


async def reject_registration(
    context: Context, registration_id: str, reason: str
) -> Decided | Invalid | Refused:
    viewer = require_viewer(context)
    refused = _officer(viewer)
    if refused is not None:
        return refused
    session = context.session
    found = await _pending_in_scope(context, viewer, registration_id)
    if isinstance(found, Invalid):
        return found
    problems = Problems()
    text = check_text(problems, (*INPUT, "reason"), reason, "The reason", 1000, required=True)
    if found.status != "PENDING":
        problems.items.extend(_already_decided(found.status).problems)
    if problems or text is None:
        return Invalid(problems.items)
    now = utcnow()
    decided = await session.execute(
        update(registration_t)
        .where(registration_t.c.id == found.id, registration_t.c.status == "PENDING")
        .values(
            status="REJECTED", decided_at=now, decided_by_account_id=viewer.account_id, rejection_reason=text
        )
    )
    if decided.rowcount != 1:  # type: ignore[attr-defined]
        await session.rollback()
        return _already_decided("by another officer")
    await enqueue(
        session,
        "sms",
        found.phone,
        "registration_rejected",
        reference=found.reference_number,
        reason=ascii_text(text),
    )
    if found.email:
        await enqueue(
            session,
            "email",
            found.email,
            "registration_rejected",
            reference=found.reference_number,
            reason=text,
        )
    person_id = (
        await session.execute(
            select(person_t.c.id).where(person_t.c.social_insurance_code == found.social_insurance_code)
        )
    ).scalar()
    await record_event(
        session,
        "REGISTRATION_REJECTED",
        "Registration",
        found.id,
        person_id=person_id,
        province_code=found.province_scope,
    )
    await audit(
        session,
        viewer,
        "rejectRegistration",
        "Registration",
        found.id,
        {"reference": found.reference_number, "reason": text},
    )
    await session.commit()
    events_committed(context)
    context.runtime.outbox_wake()
    row = await _registration(session, registration_t.c.id == found.id)
    return Decided(row, None)


# ---------- follow-up without an account ----------

STATUS_LIMIT = 20  # follow-ups per client address per hour
STATUS_WINDOW = timedelta(hours=1)


async def registration_status(
    context: Context, reference_number: str, social_insurance_code: str, captcha_id: str, captcha_answer: str
) -> Any | None:
    """The form with this reference number and code, or None: a wrong pair looks like no form. A
    captcha each time and a budget per address, so reference numbers cannot be walked."""
    session = context.session
    problems = Problems()
    reference, code = reference_number.strip(), social_insurance_code.strip()
    if not 1 <= len(reference) <= 20:
        problems.add(("referenceNumber",), "FORMAT", 'A reference number such as "01-2020-000817".')
    if not validate.SOCIAL_INSURANCE_CODE.match(code):
        problems.add(("socialInsuranceCode",), "FORMAT", "A social-insurance code is exactly 10 digits.")
    await check_captcha(context, problems, captcha_id, captcha_answer)
    if problems:
        await session.commit()  # the captcha is spent either way
        raise InvalidArguments(problems.items)
    wait = await throttle.spend(
        session, "registration-status", client_address(context), STATUS_LIMIT, STATUS_WINDOW, utcnow()
    )
    await session.commit()
    if wait:
        raise RateLimited(wait)
    return await _registration(
        session,
        (registration_t.c.reference_number == reference) & (registration_t.c.social_insurance_code == code),
    )
