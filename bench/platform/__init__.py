"""The platform benchmark: the four services as separate processes on PostgreSQL and Kafka,
measured through their HTTP APIs and their consumers (`python -m bench.platform`)."""
