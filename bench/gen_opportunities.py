#!/usr/bin/env python3
"""Writes a large opportunities CSV in the Maven CRM pipeline layout, for the
import benchmark: bench/gen_opportunities.py ROWS OUT.csv

Agents, products and accounts are the Maven ones (so the shipped mapping and
its lookups apply); ids, stages, dates and values are generated
deterministically. A tenth of the product names use the export's `GTXPro`
spelling, as the real file does."""
import random
import sys

AGENTS = """Anna Snelling,Cecily Lampkin,Versie Hillebrand,Lajuana Vencill,Moses Frase,Jonathan Berthelot,
Marty Freudenburg,Gladys Colclough,Niesha Huffines,Darcel Schlecht,Mei-Mei Johns,Violet Mclelland,Corliss Cosme,
Rosie Papadopoulos,Garret Kinder,Wilburn Farren,Elizabeth Anderson,Daniell Hammack,Cassey Cress,Donn Cantrell,
Reed Clapper,Boris Faz,Natalya Ivanova,Vicki Laflamme,Rosalina Dieter,Hayden Neloms,Markita Hansen,Elease Gluck,
Carol Thompson,James Ascencio,Kary Hendrixson,Kami Bicknell,Zane Levy,Maureen Marcano,Carl Lin"""
AGENTS = [a.strip() for a in AGENTS.replace("\n", "").split(",")]
PRODUCTS = ["GTX Basic", "GTXPro", "MG Special", "MG Advanced", "GTX Plus Pro", "GTX Plus Basic", "GTK 500"]
ACCOUNTS = """Acme Corporation,Betasoloin,Betatech,Bioholding,Bioplex,Blackzim,Bluth Company,Bubba Gump,Cancity,
Cheers,Codehow,Condax,Conecom,Dalttechnology,Donquadtech,Doncon,Dontechi,Faxquote,Finhigh,Fixdex,Funholding,
Genco Pura Olive Oil Company,Globex Corporation,Gogozoom,Golddex,Goodsilron,Green-Plus,Groovestreet,Hatfan,
Hottechi,Initech,Inity,Isdom,Iselectrics,J-Texon,Kan-code,Kinnamplus,Konex,Konmatfix,Labdrill,Lexiqvolax"""
ACCOUNTS = [a.strip() for a in ACCOUNTS.replace("\n", "").split(",")]
STAGES = ["Won", "Won", "Lost", "Engaging", "Prospecting"]


def main():
    rows = int(sys.argv[1])
    out_path = sys.argv[2]
    rng = random.Random(42)
    with open(out_path, "w", newline="") as out:
        out.write("opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\r\n")
        lines = []
        for i in range(rows):
            stage = STAGES[rng.randrange(5)]
            engage = close = value = ""
            if stage != "Prospecting":
                day = rng.randrange(430)
                engage = "2016-%02d-%02d" % (10 + day // 150, 1 + day % 28) if day < 90 else \
                         "2017-%02d-%02d" % (1 + (day - 90) // 31 % 12, 1 + day % 28)
                if stage in ("Won", "Lost"):
                    close = "2017-%02d-%02d" % (1 + rng.randrange(12), 1 + rng.randrange(28))
                    value = str(rng.randrange(40, 30000)) if stage == "Won" else "0"
            account = "" if stage in ("Prospecting", "Engaging") and rng.random() < 0.3 else \
                ACCOUNTS[rng.randrange(len(ACCOUNTS))]
            lines.append("B%07d,%s,%s,%s,%s,%s,%s,%s\r\n" % (
                i, AGENTS[rng.randrange(len(AGENTS))], PRODUCTS[rng.randrange(len(PRODUCTS))], account, stage,
                engage, close, value))
            if len(lines) == 10000:
                out.writelines(lines)
                lines.clear()
        out.writelines(lines)


if __name__ == "__main__":
    main()
