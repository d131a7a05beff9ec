"""Building blocks of the dedup and decontamination stages, all vectorised with numpy.

- :mod:`~curator.dedup.shingles`: word or character n-grams of a batch of texts, hashed to 64 bits;
- :mod:`~curator.dedup.minhash`: MinHash signatures identical to datasketch's (``affine32`` scheme)
  and LSH band keys;
- :mod:`~curator.dedup.cluster`: candidate pairs from band buckets, exact Jaccard verification,
  connected components (union-find);
- :mod:`~curator.dedup.keep`: which member of a duplicate cluster is kept;
- :mod:`~curator.dedup.ids`: record ids packed into compact arrays.
"""
