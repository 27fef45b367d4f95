"""Consulting case briefs and query-writing requests (issue 21, 2026-12-08, tenth session):
the ``case`` register (``research``) and the ``sql`` register (``code``).

Our own text (no row copied from a dataset; no held-out judged set was fetched or looked at).
The labelling guide of issue 21 puts "deep-research and consulting/market-research tasks" under
``research``. The earlier ``market`` and ``consult`` registers are one-line questions about an
industry ("What are the barriers to entry in green hydrogen?"); a consulting engagement is
usually briefed the other way round: a client, its situation and numbers, then the question
("Our client, a regional bakery chain with 40 stores, has seen margins fall … How would you
approach the problem?"). Two eval-only families never trained on, BACasebook (consulting case
interviews) and FinanceBench (investment-research questions), lost a quarter to a half of such
briefs to ``general`` and ``data_analysis`` with the model of 2026-12-08 e; the error shapes
were read (counted, none copied), so those two families are reported as not blind for a model
trained with this register.

``sql``: the guide puts "SQL/shell tasks" under ``code``. The data-analysis sources added the
same day (visualisation requests and business questions over named databases) speak of
customers, orders and revenue, and a request to *write the query* for such a question went
with them to ``data_analysis`` ("Write a SQL query returning the top five customers by total
order value"). The register asks for the query, the dataframe code or a fix, about the same
kind of tables.

Same layout as ``template_text``: a ``train`` and a ``dev`` pool with different templates and
different slot values.
"""

from __future__ import annotations

__all__ = ["CASE_SQL_REGISTERS"]

_CASE = {
    "label": "research",
    "train": {
        "tags": ("",),
        "templates": (
            "Our client is {client}. {situation} {question}",
            "{client_cap} has hired your team. {situation} {question}",
            "Your client, {client}, {wants}. {question}",
            "Case: {client_cap}. {situation} The CEO asks: {ceo_question}",
            "{client_cap} {wants}. {situation} What would you recommend, and what analyses "
            "would you run first?",
            "A private-equity fund is considering buying {client}. {situation} Is it a good "
            "investment? Structure your answer.",
            "{situation} The board of {client} wants to know {board_question}. How would you "
            "structure the engagement?",
            "Advise {client} on whether to {option}. {situation}",
            "We are advising {client}. {situation} Lay out the key drivers, the evidence you "
            "would gather and your hypothesis.",
            "Should {client} {option}? {situation} Walk me through your framework.",
            "Investment question: {investment_question}",
            "Based on its latest annual report, {investment_question}",
        ),
        "slots": {
            "client": ("a regional bakery chain with 40 stores", "a mid-sized European airline",
                       "a family-owned furniture maker", "a national gym chain",
                       "a hospital group in the Midwest", "a premium pet-food brand",
                       "a software company selling to dentists", "a cement producer in Brazil",
                       "a public museum", "a Canadian mining company",
                       "a direct-to-consumer mattress startup", "a telecom operator in Kenya"),
            "client_cap": ("A regional bakery chain with 40 stores",
                           "A mid-sized European airline", "A family-owned furniture maker",
                           "A national gym chain", "A hospital group in the Midwest",
                           "A premium pet-food brand", "A cement producer in Brazil",
                           "A direct-to-consumer mattress startup"),
            "situation": ("Revenue has grown 8% a year, but operating margins fell from 12% "
                          "to 5% over three years.",
                          "Two low-cost competitors entered its core market last year.",
                          "Its largest customer, 30% of sales, is threatening to leave.",
                          "Costs of raw materials rose sharply after new tariffs.",
                          "Membership has been flat since 2021 while rents keep rising.",
                          "Management believes digital channels could double sales.",
                          "It holds $200M in cash and no debt.",
                          "Customer satisfaction scores dropped for four quarters in a row."),
            "question": ("How would you approach this problem?",
                         "What are the main reasons for the decline, and what should they do?",
                         "Should they expand abroad or focus on the home market?",
                         "What factors should they consider before deciding?",
                         "How can they restore profitability within two years?",
                         "Estimate the size of the opportunity and recommend a strategy."),
            "wants": ("wants to enter the Indian market", "is considering a merger with its "
                      "main rival", "wants to launch a subscription service",
                      "is deciding whether to close its least profitable sites",
                      "wants to cut costs by 15% without layoffs",
                      "is weighing an acquisition of a software start-up"),
            "ceo_question": ("why are we losing market share?",
                             "should we build our own distribution network?",
                             "how do we respond to the price war?",
                             "is now the right time to raise prices?"),
            "board_question": ("whether the new business line will ever pay back",
                               "how the company compares with its peers",
                               "which markets to exit"),
            "option": ("build a second factory", "sell its retail division",
                       "move production to Vietnam", "partner with a larger competitor",
                       "open flagship stores in three capitals"),
            "investment_question": ("does the company have enough liquidity to cover its "
                                    "short-term obligations?",
                                    "which segment drove the drop in operating income last "
                                    "year, and why?",
                                    "is the dividend sustainable given current free cash "
                                    "flow?",
                                    "what are the main risks management highlights for the "
                                    "next fiscal year?",
                                    "how did the acquisition change the company's growth "
                                    "outlook?"),
        },
    },
    "dev": {
        "tags": ("",),
        "templates": (
            "{client_cap} is struggling: {situation} What should management do?",
            "You are consulting for {client}. {situation} Where would you start?",
            "{client_cap} is thinking about {move}. Is it worth it? {situation}",
            "From the company's filings, {investment_question}",
        ),
        "slots": {
            "client": ("an organic juice brand", "a university hospital",
                       "a budget hotel chain", "a Scandinavian shipping firm"),
            "client_cap": ("An organic juice brand", "A budget hotel chain",
                           "A Scandinavian shipping firm", "A chain of dental clinics"),
            "situation": ("Profits halved in two years although prices went up.",
                          "A new regulation will raise labour costs by a fifth.",
                          "Its online rivals grow three times faster than it does."),
            "move": ("entering the US market", "buying its biggest supplier",
                     "switching to a franchise model"),
            "investment_question": ("did the company's gross margin improve last year, and "
                                    "what explains the change?",
                                    "how exposed is the business to currency swings?"),
        },
    },
}

_SQL = {
    "label": "code",
    "train": {
        "tags": ("",),
        "templates": (
            "Write a SQL query that returns {ask} from the {table} table.",
            "Give me the SQL to list {ask}. The table is {table}({columns}).",
            "How do I write a query in {dialect} that finds {ask}?",
            "Write a pandas snippet that computes {ask} from a dataframe df with columns "
            "{columns}.",
            "This query is slow: SELECT * FROM {table} WHERE {column} IN (SELECT {column} FROM "
            "{table} GROUP BY {column} HAVING COUNT(*) > 1). Rewrite it with a window function.",
            "Fix the error in my query: SELECT {column}, COUNT(*) FROM {table} ORDER BY 2 DESC "
            "-- {dialect} says the column must appear in the GROUP BY clause.",
            "Create a {dialect} view that shows {ask}.",
            "Write a stored procedure that archives rows of {table} older than a year.",
            "Translate this SQL into a pandas groupby: SELECT {column}, SUM(amount) FROM "
            "{table} GROUP BY {column}.",
            "Add an index to {table} so that lookups by {column} are fast, and show the DDL.",
        ),
        "slots": {
            "ask": ("the top five customers by total order value",
                    "monthly revenue per region for 2023",
                    "every product that was never ordered",
                    "the average basket size per store",
                    "employees who earn more than their manager",
                    "the second highest salary in each department",
                    "duplicate e-mail addresses"),
            "table": ("orders", "customers", "sales", "employees", "invoices", "events"),
            "columns": ("id, customer_id, amount, created_at",
                        "region, month, revenue", "store_id, basket_total, day",
                        "name, salary, manager_id, department"),
            "column": ("customer_id", "email", "region", "store_id", "department"),
            "dialect": ("PostgreSQL", "MySQL", "SQLite", "BigQuery", "Snowflake", "T-SQL"),
        },
    },
    "dev": {
        "tags": ("",),
        "templates": (
            "Can you write the {dialect} query for {ask}? Tables: {table}.",
            "I need a query that gets {ask}.",
            "Rewrite this loop over df.iterrows() as vectorised pandas code that computes "
            "{ask}.",
        ),
        "slots": {
            "ask": ("the three most recent orders per customer",
                    "users who signed up but never logged in",
                    "total refunds per week"),
            "table": ("users, logins", "orders, refunds", "accounts"),
            "dialect": ("Postgres", "Oracle", "DuckDB"),
        },
    },
}

CASE_SQL_REGISTERS: dict[str, dict] = {"case": _CASE, "sql": _SQL}
