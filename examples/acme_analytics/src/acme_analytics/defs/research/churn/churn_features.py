"""Churn features (run by acme_platform.ResearchJob; the example platform only logs it)."""

if __name__ == "__main__":
    print("building churn features from customers and orders")
