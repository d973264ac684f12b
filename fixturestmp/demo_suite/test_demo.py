"""Example tests: what a user of fixturestmp sees when tests fail and leak."""

import json
import tempfile

import fixturestmp


class TestInvoices(fixturestmp.TestCase):
    """Each test gets ``self.tmp_path``, kept only if the test fails."""

    def render(self, total: int) -> dict:
        invoice = {"customer": "ACME", "total": total}
        (self.tmp_path / "invoice.json").write_text(json.dumps(invoice))
        return invoice

    def test_renders_invoice(self):
        self.assertEqual(120, self.render(120)["total"])

    def test_renders_discount(self):
        # Fails on purpose: its directory, with invoice.json, is kept.
        invoice = self.render(100)
        (self.tmp_path / "notes.txt").write_text("discount should be 10%\n")
        self.assertEqual(90, invoice["total"])

    def test_exports_report(self):
        # Leaks on purpose: a temp file nobody removes. `fixturestmp run
        # --check-leaks` reports it and --clean-leaks removes it.
        handle, _ = tempfile.mkstemp(prefix="demo-report-", suffix=".csv")
        with open(handle, "w") as stream:
            stream.write("customer,total\nACME,120\n")
        self.render(120)
