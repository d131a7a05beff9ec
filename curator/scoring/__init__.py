"""Model-based scores: the algorithms behind the lm_score, semantic_dedup and classifier_score
stages and score-based mixture selection.

Nothing here imports a stage: stages pass in texts or messages and get numpy arrays back.
``models`` finds local models (never downloads), ``batching`` groups inputs by length,
``embed`` computes sentence embeddings, ``semdedup`` clusters them (SemDeDup), ``lm`` scores
answers with a causal LM (loss, perplexity, IFD), ``classify`` runs a sequence classifier, and
``diversity`` picks best-scored records that are not too close to ones already picked (Deita).
Torch and transformers are imported lazily, so importing this package stays cheap.
"""
