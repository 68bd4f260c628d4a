"""Every text of the reports, Norwegian and English, in one dictionary; and numbers written the reader's way."""

from __future__ import annotations

import math
from dataclasses import dataclass

LANGUAGES = ("nb", "en")

TEXTS: dict[str, dict[str, str]] = {
    # titles and navigation
    "index_title": {"nb": "Medarbeiderindeks {year}: rapporter", "en": "Employee index {year}: reports"},
    "index_intro": {
        "nb": "Rapportene for undersøkelsesåret {year}, laget fra de publiserte pakkene. Hver rapport finnes som "
        "nettside (HTML, åpnes uten nett) og som PDF.",
        "en": "The reports of survey year {year}, made from the published packages. Each report is a web page "
        "(HTML, opens offline) and a PDF.",
    },
    "national_report": {"nb": "Nasjonal rapport", "en": "National report"},
    "company_reports": {"nb": "Virksomhetsrapporter", "en": "Company reports"},
    "company_report": {"nb": "Virksomhetsrapport", "en": "Company report"},
    "norwegian": {"nb": "norsk", "en": "Norwegian"},
    "english": {"nb": "engelsk", "en": "English"},
    "other_language": {"nb": "English version", "en": "Norsk versjon"},
    "report_title": {"nb": "Medarbeiderindeks {year}", "en": "Employee index {year}"},
    "national_subtitle": {
        "nb": "Kundesentre i Norge: nasjonale tall og bransjer",
        "en": "Customer-service centres in Norway: national figures and industries",
    },
    "industry_label": {"nb": "Bransje", "en": "Industry"},
    # key figures
    "key_figures": {"nb": "Hovedtall", "en": "Key figures"},
    "overall_index": {"nb": "Medarbeiderindeks", "en": "Employee index"},
    "enps": {"nb": "eNPS", "en": "eNPS"},
    "index_scale_note": {"nb": "0–100", "en": "0–100"},
    "enps_scale_note": {"nb": "−100 til 100", "en": "−100 to 100"},
    "ci95": {"nb": "95 % konfidensintervall", "en": "95% confidence interval"},
    "interval": {"nb": "intervall", "en": "interval"},
    "respondents": {"nb": "svar", "en": "respondents"},
    "companies": {"nb": "virksomheter", "en": "companies"},
    "response_rate": {"nb": "Svarprosent", "en": "Response rate"},
    "response_rate_of": {"nb": "{n} av {invited} inviterte", "en": "{n} of {invited} invited"},
    "invited_unknown": {"nb": "antall inviterte er ukjent", "en": "number invited unknown"},
    "vs_industry": {"nb": "Bransjen uten dere", "en": "Industry without you"},
    "vs_national": {"nb": "Alle andre", "en": "Everyone else"},
    "your_company": {"nb": "Dere", "en": "You"},
    "gap": {"nb": "Forskjell", "en": "Gap"},
    "gap_points": {"nb": "forskjell i poeng", "en": "gap in points"},
    "percentile_rank": {
        "nb": "Høyere enn {value} % av de andre virksomhetene",
        "en": "Higher than {value}% of the other companies",
    },
    "significant": {"nb": "signifikant", "en": "significant"},
    "significant_mark_note": {
        "nb": "● markerer en forskjell som er statistisk signifikant (Welchs t-test, p < 0,05); uten merke kan "
        "forskjellen skyldes tilfeldigheter.",
        "en": "● marks a statistically significant difference (Welch's t-test, p < 0.05); without the mark the "
        "difference may be chance.",
    },
    "not_published": {"nb": "ikke publisert", "en": "not published"},
    "no_value": {"nb": "–", "en": "–"},
    # sections of the company report
    "themes": {"nb": "Temaer", "en": "Themes"},
    "themes_intro": {
        "nb": "Indeks 0–100 per tema med 95 % konfidensintervall, mot bransjen og alle andre (uten dere selv).",
        "en": "Index 0–100 per theme with its 95% confidence interval, against the industry and everyone else "
        "(without yourselves).",
    },
    "theme": {"nb": "Tema", "en": "Theme"},
    "index": {"nb": "Indeks", "en": "Index"},
    "items": {"nb": "Spørsmålene", "en": "The questions"},
    "items_intro": {
        "nb": "Fordelingen av svarene på hvert spørsmål: positive (de to øverste svarene), nøytrale, negative (de to "
        "nederste) og «vet ikke». Prosentene positive, nøytrale og negative er av dem som svarte; «vet ikke» er av "
        "alle. Snitt på spørsmålets egen skala.",
        "en": "How each question was answered: favourable (the top two answers), neutral, unfavourable (the bottom "
        "two) and don't know. Favourable, neutral and unfavourable are shares of those who answered; don't know is "
        "a share of all. Mean on the question's own scale.",
    },
    "item": {"nb": "Spørsmål", "en": "Question"},
    "favorable": {"nb": "Positive", "en": "Favourable"},
    "neutral": {"nb": "Nøytrale", "en": "Neutral"},
    "unfavorable": {"nb": "Negative", "en": "Unfavourable"},
    "dont_know": {"nb": "Vet ikke", "en": "Don't know"},
    "mean": {"nb": "Snitt", "en": "Mean"},
    "other_items": {"nb": "Anbefaling (eNPS-spørsmålet, skala 0–10)", "en": "Recommendation (the eNPS question, 0–10)"},
    "vs_industry_short": {"nb": "mot bransjen", "en": "vs industry"},
    "vs_national_short": {"nb": "mot alle", "en": "vs everyone"},
    "share_of_answers": {"nb": "Andel av svarene (%)", "en": "Share of answers (%)"},
    "gap_to_everyone": {"nb": "Forskjell mot alle andre (poeng)", "en": "Gap to everyone else (points)"},
    "trend": {"nb": "Utvikling over tid", "en": "Trend"},
    "trend_intro": {
        "nb": "Medarbeiderindeksen i årene dere har deltatt, mot landet. Endringer fra året før som er statistisk "
        "signifikante er markert med ●.",
        "en": "The employee index in the years you took part, against the country. Year-over-year changes that are "
        "statistically significant are marked ●.",
    },
    "trend_one_year": {
        "nb": "Dette er det første året med publiserte tall for dere; utviklingen vises fra neste år.",
        "en": "This is your first year with published figures; the trend shows from next year on.",
    },
    "year": {"nb": "År", "en": "Year"},
    "change": {"nb": "Endring", "en": "Change"},
    "previous_year": {"nb": "Året før", "en": "Previous year"},
    "national": {"nb": "Landet", "en": "National"},
    "heatmap": {"nb": "Grupper og temaer", "en": "Groups and themes"},
    "heatmap_intro": {
        "nb": "Indeks per gruppe og tema. Fargen viser hvor langt gruppen ligger over (blått) eller under (rødt) "
        "virksomhetens eget tall for temaet. Grupper med for få svar vises ikke, og noen celler skjules i tillegg "
        "slik at de små ikke kan regnes ut fra de andre.",
        "en": "Index per group and theme. The colour shows how far the group lies above (blue) or below (red) the "
        "company's own figure for the theme. Groups with too few answers are not shown, and some more cells are "
        "withheld so that the small ones cannot be worked out from the others.",
    },
    "group": {"nb": "Gruppe", "en": "Group"},
    "breakdown_department": {"nb": "Avdeling", "en": "Department"},
    "breakdown_tenure": {"nb": "Ansiennitet (år)", "en": "Tenure (years)"},
    "breakdown_age": {"nb": "Alder", "en": "Age"},
    "breakdown_role": {"nb": "Rolle", "en": "Role"},
    "fewer_than": {"nb": "færre enn {n}", "en": "fewer than {n}"},
    "withheld": {"nb": "skjult", "en": "withheld"},
    "withheld_note": {
        "nb": "«færre enn {n}»: gruppen har færre enn {n} svar. «skjult»: cellen er holdt tilbake for å verne en "
        "liten gruppe (komplementær undertrykking).",
        "en": "“fewer than {n}”: the group has fewer than {n} answers. “withheld”: the cell is held back to protect "
        "a small group (complementary suppression).",
    },
    "drivers": {"nb": "Hva betyr mest?", "en": "What matters most?"},
    "drivers_intro": {
        "nb": "Hvert punkt er et spørsmål: hvor sterkt det henger sammen med medarbeiderindeksen (loddrett) mot hvor "
        "høyt det skårer (vannrett). Spørsmål oppe til venstre (oransje) betyr mye og skårer lavt: der er "
        "gevinsten størst.",
        "en": "Each point is a question: how strongly it goes with the employee index (vertical) against how high "
        "it scores (horizontal). Questions at the top left (orange) matter most and score lowest: that is where "
        "the gain is.",
    },
    "drivers_national_fallback": {
        "nb": "Dere har for få svar til egne drivere; visningen bruker landets tall.",
        "en": "You have too few answers for drivers of your own; the view uses the national figures.",
    },
    "priorities": {"nb": "Forbedre først", "en": "Improve first"},
    "correlation": {"nb": "Sammenheng med indeksen (r)", "en": "Correlation with the index (r)"},
    "score": {"nb": "Indeks for spørsmålet", "en": "Question's index"},
    "rank": {"nb": "Rang", "en": "Rank"},
    # national report
    "headlines": {"nb": "Nasjonale hovedtall", "en": "National headline figures"},
    "headlines_items_intro": {
        "nb": "Snittet for hvert spørsmål på skalaen 1–6 (eNPS-spørsmålet 0–10), alle svar samlet.",
        "en": "The mean of each question on the 1–6 scale (the eNPS question 0–10), all answers pooled.",
    },
    "theme_scores_national": {"nb": "Temaer i landet", "en": "Themes nationally"},
    "industries": {"nb": "Bransjene", "en": "Industries"},
    "industries_intro": {
        "nb": "Indeks per bransje og tema. En bransje publiseres bare når den har nok virksomheter og ingen "
        "virksomhet dominerer den.",
        "en": "Index per industry and theme. An industry is published only when it has enough companies and no "
        "company dominates it.",
    },
    "distributions": {"nb": "Svarfordelinger", "en": "Answer distributions"},
    "distributions_intro": {
        "nb": "Andel av alle svar på hvert svaralternativ, i landet.",
        "en": "Share of all answers in each answer option, nationally.",
    },
    "national_trend_intro": {
        "nb": "Landets indeks, eNPS og temaer i årene med publiserte tall.",
        "en": "The national index, eNPS and themes in the years with published figures.",
    },
    "reliability": {"nb": "Pålitelighet per tema", "en": "Reliability per theme"},
    "reliability_intro": {
        "nb": "Cronbachs alfa over dem som svarte på alle temaets spørsmål; 0,7 eller mer regnes som godt.",
        "en": "Cronbach's alpha over those who answered all of the theme's questions; 0.7 or more counts as good.",
    },
    "n_items": {"nb": "Spørsmål", "en": "Questions"},
    "n_complete": {"nb": "Fullstendige svar", "en": "Complete answers"},
    "alpha": {"nb": "Alfa", "en": "Alpha"},
    "suppression": {"nb": "Hva er holdt tilbake, og hvorfor", "en": "What was withheld, and why"},
    "suppression_intro": {
        "nb": "Celler i de publiserte tabellene som er holdt tilbake av personvernhensyn, per tabell og grunn.",
        "en": "Cells of the published tables withheld for privacy, per table and reason.",
    },
    "table": {"nb": "Tabell", "en": "Table"},
    "reason": {"nb": "Grunn", "en": "Reason"},
    "cells": {"nb": "Celler", "en": "Cells"},
    "nothing_suppressed": {"nb": "Ingen celler er holdt tilbake.", "en": "No cell was withheld."},
    "reason_min_respondents": {"nb": "færre enn {n} svar", "en": "fewer than {n} answers"},
    "reason_min_companies": {"nb": "færre enn {companies} virksomheter", "en": "fewer than {companies} companies"},
    "reason_min_companies_other": {
        "nb": "færre enn {companies} andre virksomheter",
        "en": "fewer than {companies} other companies",
    },
    "reason_dominance": {
        "nb": "én virksomhet har over {share} % av svarene",
        "en": "one company has over {share}% of the answers",
    },
    "reason_p_percent": {
        "nb": "én virksomhet kunne anslått en annens tall (p %-regelen)",
        "en": "one company could estimate another's figure (p% rule)",
    },
    "reason_complementary": {
        "nb": "skjult for å verne en annen undertrykt celle",
        "en": "withheld to protect another suppressed cell",
    },
    "reason_benchmark_suppressed": {"nb": "sammenligningen er holdt tilbake", "en": "the benchmark is withheld"},
    "table_company_scores": {"nb": "Virksomhetstall", "en": "Company scores"},
    "table_benchmarks": {"nb": "Bransje- og landstall", "en": "Benchmarks"},
    "table_company_vs_benchmark": {"nb": "Sammenligninger", "en": "Comparisons"},
    "table_subgroup_scores": {"nb": "Grupper i virksomhetene", "en": "Subgroups"},
    "table_answer_distribution": {"nb": "Svarfordelinger", "en": "Answer distributions"},
    "table_key_drivers": {"nb": "Drivere", "en": "Key drivers"},
    "table_theme_reliability": {"nb": "Pålitelighet", "en": "Reliability"},
    "table_national_headlines": {"nb": "Nasjonale hovedtall", "en": "National headlines"},
    # method and privacy
    "method": {"nb": "Metode og personvern", "en": "Method and privacy"},
    "method_text": {
        "nb": "Svarene på skalaen 1–6 regnes om til 0–100 (1 = 0, 6 = 100; spørsmål formulert negativt snus først). "
        "Et tema er snittet av spørsmålene, medarbeiderindeksen snittet av temaene. eNPS er andelen som svarer 9–10 "
        "minus andelen som svarer 0–6 på anbefalingsspørsmålet. «Vet ikke» teller ikke med i snitt og andeler. "
        "Dere sammenlignes alltid med bransjen og landet uten dere selv; intervallene er 95 % konfidensintervaller.",
        "en": "Answers on the 1–6 scale become 0–100 (1 = 0, 6 = 100; negatively worded questions are reversed "
        "first). A theme is the mean of its questions, the employee index the mean of the themes. eNPS is the share "
        "answering 9–10 minus the share answering 0–6 to the recommendation question. Don't know counts in no mean "
        "or share. You are always compared with the industry and the country without yourselves; intervals are 95% "
        "confidence intervals.",
    },
    "national_method_text": {
        "nb": "Svarene på skalaen 1–6 regnes om til 0–100 (1 = 0, 6 = 100; spørsmål formulert negativt snus først). "
        "Et tema er snittet av spørsmålene, medarbeiderindeksen snittet av temaene. Lands- og bransjetall er snittet "
        "av alle svar (hver medarbeider teller likt). eNPS er andelen som svarer 9–10 minus andelen som svarer 0–6. "
        "«Vet ikke» teller ikke med i snitt og andeler.",
        "en": "Answers on the 1–6 scale become 0–100 (1 = 0, 6 = 100; negatively worded questions are reversed "
        "first). A theme is the mean of its questions, the employee index the mean of the themes. National and "
        "industry figures pool all answers (every employee counts once). eNPS is the share answering 9–10 minus the "
        "share answering 0–6. Don't know counts in no mean or share.",
    },
    "privacy_text": {
        "nb": "Rapporten er laget bare fra den publiserte pakken, ikke fra enkeltsvar. Ingen tall bygger på færre enn "
        "{n} svar, en sammenligning krever minst {companies} andre virksomheter og at ingen av dem har over {share} % "
        "av svarene. Filen henter ingenting fra nettet.",
        "en": "This report is made only from the published package, never from individual answers. No figure rests "
        "on fewer than {n} answers; a comparison needs at least {companies} other companies, none with over {share}% "
        "of the answers. The file loads nothing from the network.",
    },
    "national_privacy_text": {
        "nb": "Rapporten er laget bare fra den offentlige pakken, som ikke navngir noen virksomhet. Ingen tall bygger "
        "på færre enn {n} svar, et bransjetall krever minst {companies} virksomheter og at ingen har over {share} % "
        "av svarene. Filen henter ingenting fra nettet.",
        "en": "This report is made only from the public package, which names no company. No figure rests on fewer "
        "than {n} answers; an industry figure needs at least {companies} companies, none with over {share}% of the "
        "answers. The file loads nothing from the network.",
    },
    "made_from": {"nb": "Laget fra utgivelse {release}.", "en": "Made from release {release}."},
}


@dataclass(frozen=True)
class Language:
    """One language's texts and number formats (Norwegian: decimal comma, non-breaking space before %)."""

    code: str

    def __post_init__(self) -> None:
        if self.code not in LANGUAGES:
            raise ValueError(f"unknown report language {self.code!r}; expected one of {LANGUAGES}")

    def raw(self, key: str) -> str:
        """The text with its ``{placeholders}`` unfilled."""
        try:
            return TEXTS[key][self.code]
        except KeyError:
            raise KeyError(f"no {self.code} text for {key!r} in orchestration/reports/texts.py") from None

    def t(self, key: str, **values: object) -> str:
        return self.raw(key).format(**values) if values else self.raw(key)

    def number(self, value: float | None, decimals: int = 1, signed: bool = False) -> str:
        """``value`` rounded to ``decimals``; a real minus sign; with ``signed`` a plus on positive values."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return TEXTS["no_value"][self.code]
        rounded = round(float(value), decimals)
        if rounded == 0:
            rounded = 0.0  # no "−0,0"
        text = f"{abs(rounded):,.{decimals}f}".replace(",", "\u00a0")
        if self.code == "nb":
            text = text.replace(".", ",")
        if rounded < 0:
            return "\u2212" + text
        return ("+" + text) if signed and rounded > 0 else text

    def percent(self, value: float | None, decimals: int = 0) -> str:
        number = self.number(value, decimals)
        if number == TEXTS["no_value"][self.code]:
            return number
        return f"{number}\u00a0%" if self.code == "nb" else f"{number}%"
