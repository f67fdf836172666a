"""The demo city: Nantong's directory, people in every role and forms in every state.

Built only through the domain services (so the audit chain is valid), in the past by
travelling the clock with ``time_machine``, inside one transaction (all or nothing).
"""
