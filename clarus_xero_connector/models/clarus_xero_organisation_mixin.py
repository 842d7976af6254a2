from markupsafe import Markup

from odoo import api, fields, models

from clarus_sync_engine import guards, taxes

# What the connection keeps of the Xero organisation it talks to; emptied when it moves to
# another organisation, until the next import reads that one.
ORGANISATION_VALUES_CLEARED = {
    "period_lock_date": False, "end_of_year_lock_date": False, "xero_country_code": False,
    "no_tax_rate_id": False, "rounding_account_code": False,
}
# Documents named one by one in a message; the rest are counted.
NAMED_AT_MOST = 20


class ClarusXeroOrganisationMixin(models.AbstractModel):
    """What a Xero connection knows of its organisation's rules: the lock dates, the
    country, the rate that means "no tax" there, and its rounding account.

    Read at each reference import (``GET /Organisation``, ``/TaxRates``, ``/Accounts``);
    the decisions are ``clarus_sync_engine.taxes`` and ``clarus_sync_engine.guards``.
    """

    _name = "clarus.xero.organisation.mixin"
    _description = "Xero organisation rules"

    period_lock_date = fields.Date(
        readonly=True, copy=False,
        help="Xero's period lock date, as of the last import: documents dated on or before "
             "it are refused by Xero (advisers excepted).")
    end_of_year_lock_date = fields.Date(
        readonly=True, copy=False,
        help="Xero's end-of-year lock date, as of the last import: nobody can post on or "
             "before it.")
    xero_country_code = fields.Char("Xero Country", readonly=True, copy=False)
    no_tax_rate_id = fields.Many2one(
        "clarus.xero.reference", "No-tax rate", copy=False, ondelete="set null",
        domain="[('connection_id', '=', id), ('kind', '=', 'tax_rate'), ('rate', '=', 0)]",
        help="The Xero tax rate sent on lines without tax: NONE in most countries, "
             "BASEXCLUDED in Australia. Chosen by the import when empty.")
    no_tax_type_code = fields.Char(
        "No-tax TaxType", compute="_compute_no_tax_type_code", store=True,
        help="The TaxType code of the no-tax rate (empty until an import found one).")
    rounding_account_code = fields.Char(
        copy=False,
        help="Xero account code for rounding lines. When this is empty, the import fills in "
             "an active account whose name says Rounding that lines may be coded to. Xero's own "
             "Rounding system account is not taken: Xero refuses document lines on system "
             "accounts.")

    @api.depends("no_tax_rate_id.code")
    def _compute_no_tax_type_code(self):
        for conn in self:
            conn.no_tax_type_code = conn.no_tax_rate_id.code or False

    def write(self, vals):
        """Another organisation: what was read of the previous one no longer applies."""
        if "tenant_id" in vals:
            moved = self.filtered(lambda conn: conn.tenant_id != (vals["tenant_id"] or False))
            if moved:
                moved.write(ORGANISATION_VALUES_CLEARED)
        return super().write(vals)

    # ------------------------------------------------------------ import

    def _refresh_organisation(self, gateway=None):
        """Read the organisation's lock dates and country from Xero and keep them."""
        self.ensure_one()
        organisation = (gateway or self._gateway()).organisation(self.tenant_id)
        self.write({
            "period_lock_date": guards.parse_xero_date(organisation.get("PeriodLockDate")),
            "end_of_year_lock_date": guards.parse_xero_date(
                organisation.get("EndOfYearLockDate")),
            "xero_country_code": organisation.get("CountryCode") or False,
        })
        return organisation

    def _apply_reference_defaults(self, accounts, tax_rates):
        """After an import: choose the no-tax rate and the rounding account when none is
        set (or the one set is no longer in Xero); a choice the user made is kept."""
        self.ensure_one()
        Reference = self.env["clarus.xero.reference"]
        values = {}
        if not self.no_tax_rate_id.active or self.no_tax_rate_id.connection_id != self:
            sales = next((a for a in accounts if a.get("Code")
                          and a["Code"] == self.default_sales_account_code), None)
            klass = taxes.account_class(sales) if sales else "REVENUE"
            code = taxes.no_tax_type(tax_rates, klass) or taxes.no_tax_type(tax_rates)
            values["no_tax_rate_id"] = Reference.search([
                ("connection_id", "=", self.id), ("kind", "=", "tax_rate"),
                ("code", "=", code)], limit=1).id if code else False
        codes = {a["Code"] for a in accounts
                 if a.get("Code") and (a.get("Status") or "ACTIVE") == "ACTIVE"}
        if not self.rounding_account_code or self.rounding_account_code not in codes:
            rounding = next((a for a in accounts if a.get("Code") in codes
                             and "rounding" in (a.get("Name") or "").casefold()
                             and not a.get("SystemAccount") and a.get("Type") != "BANK"),
                            None)
            values["rounding_account_code"] = rounding["Code"] if rounding else False
        if values:
            self.write(values)

    # -------------------------------------------------------- lock dates

    def _organisation_lock_dates(self):
        """The stored lock dates as ``GET /Organisation`` names them."""
        self.ensure_one()
        return {"PeriodLockDate": self.period_lock_date,
                "EndOfYearLockDate": self.end_of_year_lock_date}

    def _documents_inside_lock_date(self, moves):
        """The ``moves`` dated on or before the organisation's lock date: Xero refuses
        them (``guards.lock_date_check``)."""
        self.ensure_one()
        organisation = self._organisation_lock_dates()
        return moves.filtered(
            lambda move: guards.lock_date_check(organisation, move.invoice_date).locked)

    def _lock_date_summary(self, held):
        """One sentence for the user: how many documents were held back, and which."""
        lock = guards.lock_date_check(self._organisation_lock_dates(),
                                      min(held.mapped("invoice_date")))
        names = held[:NAMED_AT_MOST].mapped("name")
        if len(held) > NAMED_AT_MOST:
            names.append(self.env._("and %s more", len(held) - NAMED_AT_MOST))
        return self.env._(
            "%(count)s document(s) not queued: dated on or before Xero's lock date "
            "(%(lock)s), Xero would refuse them: %(names)s. Date them after the lock date "
            "(credit note and new invoice), or ask the Xero adviser to move it.",
            count=len(held), lock=lock.lock_date, names=", ".join(names))

    def _hold_back_locked(self, moves):
        """The ``moves`` Xero would refuse for its lock date, named in the chatter with
        the reason for each; the caller queues only the others."""
        self.ensure_one()
        held = self._documents_inside_lock_date(moves)
        if held:
            organisation = self._organisation_lock_dates()
            items = Markup().join(
                Markup("<li>%s: %s</li>") % (
                    move.name, guards.lock_date_check(organisation, move.invoice_date).message)
                for move in held[:NAMED_AT_MOST])
            self.message_post(body=Markup("<p>%s</p><ul>%s</ul>") % (
                self._lock_date_summary(held), items))
        return held

    def _backlog_notification(self, queued, held):
        """The backlog button's answer when documents were held back."""
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("%s document(s) queued for Xero", queued),
                "message": self._lock_date_summary(held),
                "type": "warning",
                "sticky": True,
            },
        }
