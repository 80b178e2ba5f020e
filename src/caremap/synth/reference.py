"""Published reference figures the synthetic economy is calibrated to.

Sources:
* Age-sex structure: ONS, "Population estimates for England and Wales: mid-2023"
  (England, single year of age), summed to the 20 ESP 2013 bands, per 1,000 people.
* Long-term condition prevalence: NHS England, "Quality and Outcomes Framework 2022-23"
  (QOF register sizes over list size; diabetes 17+, CKD and depression 18+). Cancer is the
  QOF cancer register. Frailty is moderate or severe frailty on the electronic Frailty Index
  among people aged 65+ (Clegg et al., Age and Ageing 2016; 45: 353-360: ~15%).
* Activity: NHS England Hospital Episode Statistics 2022-23 (about 6.3M emergency
  admissions, ~110 per 1,000 people; ~1.6M elective ordinary and ~7.5M day-case
  admissions) and A&E attendances 2022-23 (~25M, ~400 per 1,000 people); appointments in
  general practice (~5 per person per year); hospital outpatient activity (~2.2 per person).
* Costs: approximations of the NHS Payment Scheme 2023-25 and the National Cost Collection
  2021-22 (average unit costs per point of delivery), PSSRU Unit Costs of Health and Social
  Care 2023 (GP consultation, community and social care).
* Mortality: a Gompertz curve close to ONS national life tables 2020-22 (q40 ~0.0015,
  q80 ~0.055), scaled by conditions.
"""

from __future__ import annotations

import numpy as np

AGE_BANDS = (
    "0", "1-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44",
    "45-49", "50-54", "55-59", "60-64", "65-69", "70-74", "75-79", "80-84", "85-89", "90+",
)  # fmt: skip
AGE_FROM = np.array([0, 1, *range(5, 95, 5)], dtype=np.int32)
MAX_AGE = 99

# ONS mid-2023, England, people per 1,000 of the whole population, by band.
ENGLAND_MALES_PER_1000 = np.array([
    5.095, 22.095, 29.692, 31.326, 30.383, 30.570, 32.452, 33.770, 33.059, 31.910,
    29.287, 32.454, 32.855, 29.509, 24.278, 21.362, 19.275, 11.325, 6.552, 3.007,
])  # fmt: skip
ENGLAND_FEMALES_PER_1000 = np.array([
    4.839, 21.093, 28.356, 29.845, 28.640, 29.342, 33.033, 35.798, 35.426, 33.671,
    30.243, 33.572, 34.120, 30.653, 25.693, 23.532, 22.103, 14.268, 9.488, 6.029,
])  # fmt: skip


def band_of_age(age: np.ndarray) -> np.ndarray:
    """Index into AGE_BANDS of each age."""
    return np.searchsorted(AGE_FROM, age, side="right") - 1


def england_single_year() -> np.ndarray:
    """(2, MAX_AGE+1) probabilities by sex (0 male, 1 female) and single year of age,
    spreading each band evenly and the 90+ band over 90-99 with a falling tail."""
    out = np.zeros((2, MAX_AGE + 1))
    for s, per in enumerate((ENGLAND_MALES_PER_1000, ENGLAND_FEMALES_PER_1000)):
        for i, lo in enumerate(AGE_FROM):
            if i + 1 < len(AGE_FROM):
                hi = AGE_FROM[i + 1]
                out[s, lo:hi] = per[i] / (hi - lo)
            else:
                tail = 0.75 ** np.arange(MAX_AGE + 1 - lo)
                out[s, lo:] = per[i] * tail / tail.sum()
    return out / out.sum()


# QOF 2022-23 England prevalence (%), with the age the denominator starts at.
QOF_PREVALENCE = {
    "hypertension": (14.4, 0),
    "diabetes": (7.5, 17),
    "asthma": (6.5, 0),
    "copd": (1.9, 0),
    "chd": (3.0, 0),
    "heart_failure": (1.1, 0),
    "ckd": (4.0, 18),
    "dementia": (0.7, 0),
    "cancer": (3.5, 0),
    "depression": (13.0, 18),
    "frailty": (15.0, 65),
}

# Relative prevalence by age (anchor ages and log-relative risk, interpolated), a female
# factor, and the log-relative risk per standard deviation of deprivation.
CONDITION_SHAPE: dict[str, tuple[list[int], list[float], float, float]] = {
    "hypertension": ([0, 20, 30, 40, 50, 60, 70, 80, 99], [-9, -4.5, -3, -1.9, -0.9, -0.2, 0.3, 0.55, 0.6], 0.9, 0.15),
    "diabetes": ([0, 17, 30, 40, 50, 60, 70, 80, 99], [-7, -4, -2.4, -1.5, -0.7, -0.1, 0.3, 0.35, 0.1], 0.8, 0.3),
    "asthma": ([0, 5, 10, 20, 40, 60, 80, 99], [-1.5, -0.1, 0.1, 0.0, -0.1, 0.0, 0.0, -0.2], 1.2, 0.15),
    "copd": ([0, 35, 45, 55, 65, 75, 85, 99], [-9, -4.5, -3, -1.8, -0.8, -0.1, 0.2, 0.1], 0.9, 0.6),
    "chd": ([0, 35, 45, 55, 65, 75, 85, 99], [-9, -5, -3.2, -2, -1, -0.2, 0.3, 0.4], 0.55, 0.3),
    "heart_failure": ([0, 40, 50, 60, 70, 80, 90, 99], [-9, -5, -3.6, -2.5, -1.3, -0.2, 0.6, 0.8], 0.75, 0.3),
    "ckd": ([0, 18, 40, 50, 60, 70, 80, 99], [-9, -6, -4.2, -3, -1.8, -0.6, 0.4, 0.9], 1.2, 0.15),
    "dementia": ([0, 50, 60, 65, 70, 75, 80, 85, 90, 99], [-12, -7, -5.3, -4.4, -3.5, -2.5, -1.6, -0.8, 0, 0.3], 1.3, 0.1),
    "cancer": ([0, 20, 40, 50, 60, 70, 80, 99], [-7, -5, -3.3, -2.4, -1.5, -0.8, -0.4, -0.4], 1.0, -0.05),
    "depression": ([0, 12, 18, 25, 40, 60, 80, 99], [-9, -4, -0.6, -0.1, 0.0, -0.2, -0.4, -0.5], 1.9, 0.35),
    "frailty": ([0, 65, 75, 85, 99], [-12, -2.6, -1.7, -0.7, 0.1], 1.3, 0.35),
}  # fmt: skip

# ICD-10 code recorded for each condition (no dot), with alternatives and their weights.
CONDITION_CODES = {
    "hypertension": (["I10"], [1.0]),
    "diabetes": (["E119", "E109"], [0.92, 0.08]),
    "asthma": (["J459"], [1.0]),
    "copd": (["J449"], [1.0]),
    "chd": (["I251", "I209"], [0.7, 0.3]),
    "heart_failure": (["I500", "I509"], [0.6, 0.4]),
    "ckd": (["N183", "N184"], [0.8, 0.2]),
    "dementia": (["F03", "F019", "G309"], [0.5, 0.2, 0.3]),
    "cancer": (["C509", "C61", "C349", "C189", "C449"], [0.3, 0.25, 0.15, 0.15, 0.15]),
    "depression": (["F329", "F339"], [0.75, 0.25]),
    "frailty": (["R54"], [1.0]),
}

# Unit costs (pounds) by point of delivery.
TARIFF = {
    "NEL": 2400.0,  # non-elective spell (average, before length-of-stay adjustment)
    "EL": 4200.0,  # elective ordinary spell
    "DC": 900.0,  # day case
    "MAT": 2800.0,  # maternity delivery spell
    "OPFA": 190.0,  # outpatient first attendance
    "OPFU": 110.0,  # outpatient follow-up
    "AE": 250.0,  # type 1 A&E attendance
    "SEE_CONVEY": 480.0,  # ambulance see, treat and convey
    "SEE_TREAT": 360.0,  # ambulance see and treat at scene
    "HEAR_TREAT": 45.0,  # ambulance hear and treat
    "CONS": 42.0,  # GP consultation (PSSRU 2023)
    "CONTACT": 65.0,  # community nursing or therapy contact
    "HOME_CARE": 350.0,  # per week
    "RES_CARE": 1100.0,  # per week (residential or nursing home)
}

# Emergency admission diagnoses: code, specialty, base weight, age from/to, condition that
# multiplies the weight by 6 (or None).
NEL_DIAGNOSES = [
    ("J189", "300", 6.0, 0, 99, "copd"),  # pneumonia
    ("J441", "340", 3.0, 40, 99, "copd"),  # COPD exacerbation
    ("I500", "320", 2.0, 50, 99, "heart_failure"),  # heart failure
    ("I219", "320", 2.0, 35, 99, "chd"),  # myocardial infarction
    ("R074", "300", 5.0, 18, 99, "chd"),  # chest pain
    ("I639", "328", 2.0, 45, 99, "hypertension"),  # stroke
    ("N390", "300", 4.0, 0, 99, "dementia"),  # urinary tract infection
    ("S720", "110", 2.0, 60, 99, "frailty"),  # fracture of neck of femur
    ("R55", "430", 3.0, 50, 99, "frailty"),  # syncope and collapse
    ("A419", "300", 2.0, 0, 99, "diabetes"),  # sepsis
    ("L031", "300", 2.0, 10, 99, "diabetes"),  # cellulitis
    ("R104", "100", 6.0, 5, 99, None),  # abdominal pain
    ("K358", "100", 1.5, 5, 60, None),  # appendicitis
    ("J069", "420", 6.0, 0, 15, "asthma"),  # upper respiratory infection (children)
    ("J459", "420", 2.0, 2, 40, "asthma"),  # asthma
    ("E119", "300", 1.0, 20, 99, "diabetes"),  # diabetic complication
    ("F329", "710", 1.0, 16, 80, "depression"),  # depressive episode
    ("S099", "110", 2.0, 0, 99, None),  # head injury
    ("T391", "300", 1.0, 14, 60, "depression"),  # poisoning
]

# Elective and day-case work: specialty, OPCS-4 procedure, ICD-10 diagnosis, weight,
# share done as day case, minimum age.
ELECTIVE_PROCEDURES = [
    ("130", "C751", "H259", 12.0, 0.98, 50),  # cataract
    ("110", "W371", "M161", 2.5, 0.02, 50),  # hip replacement
    ("110", "W401", "M171", 3.0, 0.02, 50),  # knee replacement
    ("110", "T521", "M720", 1.5, 0.9, 30),  # Dupuytren's
    ("100", "T201", "K409", 3.0, 0.8, 18),  # inguinal hernia
    ("100", "J183", "K802", 3.0, 0.6, 18),  # laparoscopic cholecystectomy
    ("301", "H229", "K573", 10.0, 1.0, 40),  # colonoscopy
    ("301", "G451", "K219", 9.0, 1.0, 30),  # upper GI endoscopy
    ("101", "M459", "R31", 5.0, 1.0, 40),  # cystoscopy
    ("502", "Q188", "N920", 3.0, 0.95, 25),  # hysteroscopy
    ("120", "F341", "J351", 1.5, 0.7, 3),  # tonsillectomy
    ("320", "K634", "I251", 3.0, 0.85, 40),  # coronary angiography
    ("320", "K751", "I251", 1.5, 0.5, 45),  # PCI with stent
    ("800", "X352", "C509", 8.0, 1.0, 30),  # chemotherapy delivery
    ("330", "S061", "C449", 4.0, 1.0, 40),  # excision of skin lesion
]

OUTPATIENT_SPECIALTIES = [
    ("110", "M179", 14.0), ("130", "H259", 12.0), ("100", "K409", 8.0), ("320", "I251", 8.0),
    ("301", "K219", 6.0), ("330", "L409", 6.0), ("120", "H919", 5.0), ("502", "N920", 5.0),
    ("300", "R688", 5.0), ("340", "J449", 4.0), ("400", "G439", 4.0), ("410", "M069", 3.0),
    ("420", "R628", 5.0), ("430", "R54", 3.0), ("800", "C509", 6.0), ("361", "N183", 2.0),
]  # fmt: skip

AE_DIAGNOSES = ["R074", "R104", "S099", "S610", "S934", "R55", "J069", "N390", "T149", "R51"]
