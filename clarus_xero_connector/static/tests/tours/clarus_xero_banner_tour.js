import { registry } from "@web/core/registry";

// The failed job this tour needs is prepared by clarus_xero_connector/tests/test_visibility.py.

registry.category("web_tour.tours").add("clarus_xero_errors_banner", {
    url: "/odoo",
    steps: () => [
        {
            content: "The top bar says one Xero job failed",
            trigger: ".o_main_navbar .o_clarus_xero_errors_button:contains('1 Xero error')",
            run: "click",
        },
        {
            content: "The unresolved errors are listed",
            trigger: ".o_breadcrumb .active:contains('Unresolved Errors')",
        },
        {
            content: "The failed invoice is there with its reason",
            trigger: ".o_data_row:contains('has no Xero tax rate')",
        },
    ],
});
