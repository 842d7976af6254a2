import { Component, onMounted, onWillStart, onWillUnmount, useState } from "@odoo/owl";
import { browser } from "@web/core/browser/browser";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { user } from "@web/core/user";
import { useBus, useService } from "@web/core/utils/hooks";

// The count is read again on every screen change, and at this pace while a screen stays open.
const REFRESH_MS = 5 * 60 * 1000;
const ERRORS_ACTION = "clarus_xero_connector.clarus_xero_job_action_errors";

/**
 * A red button in the top bar while Xero jobs of the user's companies failed: how many, and a
 * click away from the list of unresolved errors. Shown to every internal user; those who may
 * not open the list are told whom to ask.
 */
export class XeroErrorsBanner extends Component {
    static template = "clarus_xero_connector.XeroErrorsBanner";
    static props = {};

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.notification = useService("notification");
        this.state = useState({ count: 0 });
        onWillStart(async () => {
            this.canOpen = await user.hasGroup("account.group_account_invoice");
        });
        onMounted(() => {
            this.refresh();
            this.interval = browser.setInterval(() => this.refresh(), REFRESH_MS);
        });
        onWillUnmount(() => browser.clearInterval(this.interval));
        useBus(this.env.bus, "ACTION_MANAGER:UI-UPDATED", () => this.refresh());
    }

    async refresh() {
        this.state.count = await this.orm.silent.call(
            "clarus.xero.job",
            "clarus_xero_unresolved_count",
            []
        );
    }

    get label() {
        return this.state.count === 1
            ? _t("1 Xero error")
            : _t("%s Xero errors", this.state.count);
    }

    openErrors() {
        if (this.canOpen) {
            return this.action.doAction(ERRORS_ACTION, { clearBreadcrumbs: true });
        }
        this.notification.add(
            _t(
                "Documents of your company did not reach Xero. Someone in accounting can fix them under Xero Sync, Unresolved Errors."
            ),
            { type: "warning" }
        );
    }
}

registry
    .category("systray")
    .add("clarus_xero_connector.errors_banner", { Component: XeroErrorsBanner }, { sequence: 90 });
