"""Bulk scoring on Apache Spark with a model version of the product (see docs/spark.md).

Optional: needs `requirements-spark.txt`. Nothing of the web server imports this package, so
the server never imports pyspark.
"""
