"""Text models of 研判: topic, sentiment, false-information risk, category and severity, heat.

Plain modules (no Django): features (:mod:`.text`), the trained linear models
(:mod:`.models`), the category rules (:mod:`.category`), training (:mod:`.train`) and
measurement (:mod:`.evaluate`).
"""
