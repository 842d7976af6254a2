import { registry } from "@web/core/registry";

// The Xero contacts and items this tour needs are made by
// clarus_xero_connector/tests/test_imports.py (TestImportsUi).

registry.category("web_tour.tours").add("clarus_xero_import_preview", {
    steps: () => [
        {
            content: "Open the import from the connection",
            trigger: "button[name='action_open_import_wizard']",
            run: "click",
        },
        {
            content: "The preview says why a contact matched",
            trigger: ".modal .o_data_row:contains('Kestrel Acme Ltd'):contains('e-mail'):contains('Link')",
        },
        {
            content: "An ambiguous contact is left to choose",
            trigger: ".modal .o_data_row:contains('Kestrel Cobalt'):contains('To choose')",
        },
        {
            content: "Confirm the import",
            trigger: ".modal button[name='action_confirm']",
            run: "click",
        },
        {
            content: "Each line says what became of it",
            trigger: ".modal .o_data_row:contains('Kestrel Echo Ltd'):contains('Created')",
        },
        {
            content: "The ambiguous contact was skipped",
            trigger: ".modal .o_data_row:contains('Kestrel Cobalt'):contains('Skipped')",
        },
    ],
});
