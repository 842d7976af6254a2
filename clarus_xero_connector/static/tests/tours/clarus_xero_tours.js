import { registry } from "@web/core/registry";

// The data these tours need (an emulator, a failed job) is prepared by the Python tests in
// clarus_xero_connector/tests/test_tours.py.

const MENU = "clarus_xero_connector";

function openApp() {
    return [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button:enabled",
            run: "click",
        },
        {
            content: "Open Xero Sync",
            trigger: `.o_app[data-menu-xmlid='${MENU}.clarus_xero_menu_root']`,
            run: "click",
        },
    ];
}

function openConfigMenu(xmlid, title) {
    return [
        {
            content: "Open Configuration",
            trigger: `.o_main_navbar button[data-menu-xmlid='${MENU}.clarus_xero_config_menu']`,
            run: "click",
        },
        {
            content: `Open ${title}`,
            trigger: `.dropdown-item[data-menu-xmlid='${MENU}.${xmlid}']`,
            run: "click",
        },
        {
            content: `${title} is shown`,
            trigger: `.o_breadcrumb .active:contains('${title}')`,
        },
    ];
}

function openTopMenu(xmlid, title) {
    return [
        {
            content: `Open ${title}`,
            trigger: `.o_main_navbar [data-menu-xmlid='${MENU}.${xmlid}']`,
            run: "click",
        },
        {
            content: `${title} is shown`,
            trigger: `.o_breadcrumb .active:contains('${title}')`,
        },
    ];
}

function pickMany2one(field, text, option) {
    return [
        {
            content: `Type ${text} in ${field}`,
            trigger: `.o_data_row.o_selected_row .o_field_widget[name=${field}] input`,
            run: `edit ${text}`,
        },
        {
            content: `Choose ${option}`,
            trigger: `.o-autocomplete--dropdown-item:not(.o_m2o_dropdown_option):contains('${option}')`,
            run: "click",
        },
    ];
}

function pickSelection(scope, field, label) {
    return [
        {
            content: `Open the ${field} choices`,
            trigger: `${scope} .o_field_widget[name=${field}] .o_select_menu_toggler`,
            run: "click",
        },
        {
            content: `Choose ${label}`,
            trigger: `.o_select_menu_menu .o_select_menu_item:contains('${label}')`,
            run: "click",
        },
    ];
}

function mapTax(connection, tax, taxType) {
    return [
        ...openConfigMenu("clarus_xero_mapping_menu", "Mappings"),
        {
            content: "Add a mapping",
            trigger: ".o_list_button_add",
            run: "click",
        },
        ...pickMany2one("connection_id", connection, connection),
        ...pickSelection(".o_data_row.o_selected_row", "kind", "Tax → Xero tax type"),
        ...pickMany2one("tax_id", tax, tax),
        ...pickMany2one("xero_reference_id", taxType, taxType),
        {
            content: "Save the mapping",
            trigger: ".o_list_button_save",
            run: "click",
        },
        {
            content: "The mapping is saved",
            trigger: `.o_list_renderer:not(:has(.o_selected_row)) .o_data_row:contains('${tax}'):contains('${taxType}')`,
        },
    ];
}

registry.category("web_tour.tours").add("clarus_xero_connect", {
    url: "/odoo",
    steps: () => [
        ...openApp(),
        ...openConfigMenu("clarus_xero_connection_menu", "Xero Connections"),
        {
            content: "Create a connection",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "Name it",
            trigger: ".o_field_widget[name=name] input",
            run: "edit Xero Tour Company",
        },
        {
            content: "Open the Xero app settings",
            trigger: ".o_notebook .nav-link:contains('Xero app')",
            run: "click",
        },
        {
            content: "The addresses of the Xero server are filled in",
            trigger: ".o_field_widget[name=login_base_url] input:value(/^http:\\/\\/127\\.0\\.0\\.1:\\d+$/)",
        },
        {
            content: "Enter the client ID",
            trigger: ".o_field_widget[name=client_id] input",
            run: "edit clarus-demo-client",
        },
        {
            content: "Enter the client secret",
            trigger: ".o_field_widget[name=client_secret] input",
            run: "edit clarus-demo-secret",
        },
        {
            content: "Connect to Xero: the browser goes to Xero's consent page and comes back",
            trigger: ".o_form_statusbar button[name=action_authorize]:contains('Connect to Xero')",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Back on the connection: both organisations were granted, choose one",
            trigger: ".o_form_statusbar button[name=action_choose_tenant]",
            run: "click",
        },
        {
            content: "Open the organisations offered",
            trigger: ".modal .o_field_widget[name=tenant_id] .o_select_menu_toggler",
            run: "click",
        },
        {
            content: "The other organisation is offered too",
            trigger: ".o_select_menu_menu .o_select_menu_item:contains('Clarus Test Org (AU)')",
        },
        {
            content: "Pick the demo organisation",
            trigger: ".o_select_menu_menu .o_select_menu_item:contains('Clarus Demo Company (NZ)')",
            run: "click",
        },
        {
            content: "Use it",
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The connection talks to the chosen organisation",
            trigger: ".oe_title h3:contains('Talks to Xero organisation'):contains('Clarus Demo Company (NZ)')",
        },
        {
            content: "It shows as connected",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains('Connected')",
        },
        {
            content: "Import the reference data",
            trigger: ".o_form_statusbar button[name=action_import_reference_data]",
            run: "click",
        },
        {
            content: "The import is confirmed in the chatter",
            trigger: ".o-mail-Message:contains('Imported from Xero')",
        },
        ...mapTax("Xero Tour Company", "Tour Sales Tax", "OUTPUT2"),
    ],
});

registry.category("web_tour.tours").add("clarus_xero_error_center", {
    url: "/odoo",
    steps: () => [
        ...openApp(),
        ...openTopMenu("clarus_xero_job_errors_menu", "Unresolved Errors"),
        {
            content: "The failed job is listed with its error",
            trigger: ".o_data_row:has(.o_field_badge:contains('Failed')):contains('has no Xero tax rate')",
        },
        {
            content: "Open the failed job",
            trigger: ".o_data_row:contains('has no Xero tax rate') td[name=display_name]",
            run: "click",
        },
        {
            content: "The job says what went wrong and what to do",
            trigger: ".o_form_view .alert-danger:contains('has no Xero tax rate'):contains('What to do')",
        },
        {
            content: "Open the invoice",
            trigger: ".o_form_statusbar button[name=action_open_record]",
            run: "click",
        },
        {
            content: "The invoice line carries the tax that Xero does not know",
            trigger: ".o_field_widget[name=invoice_line_ids] .o_data_row:contains('Unmapped GST')",
        },
        ...mapTax("Xero", "Unmapped GST", "OUTPUT2"),
        ...openTopMenu("clarus_xero_job_errors_menu", "Unresolved Errors"),
        {
            content: "Open the failed job again",
            trigger: ".o_data_row:contains('has no Xero tax rate') td[name=display_name]",
            run: "click",
        },
        {
            content: "Retry it",
            trigger: ".o_form_statusbar button[name=action_retry]",
            run: "click",
        },
        {
            content: "The job waits in the queue, the error is gone",
            trigger: ".o_form_view:not(:has(.alert-danger)) .o_statusbar_status .o_arrow_button_current:contains('Pending')",
        },
        ...openTopMenu("clarus_xero_job_queue_menu", "Export Queue"),
        {
            content: "The job is in the export queue",
            trigger: ".o_data_row:has(.o_field_badge:contains('Pending'))",
        },
        // Retry wakes the scheduled action that pushes the queue. An administrator who
        // does not want to wait runs it from Settings, Technical, Scheduled Actions.
        {
            content: "Go to the scheduled actions (developer mode)",
            trigger: "body",
            run: "goToUrl /odoo/action-base.ir_cron_act?debug=1",
            expectUnloadPage: true,
        },
        {
            content: "Look for the Xero push",
            trigger: ".o_searchview_input",
            run: "edit Xero: push the export queue",
        },
        {
            content: "Search",
            trigger: ".o_searchview_input",
            run: "press Enter",
        },
        {
            content: "Open the Xero push",
            trigger: ".o_data_row td[name=name]:contains('Xero: push the export queue')",
            run: "click",
        },
        {
            content: "Run it now",
            trigger: ".o_form_view button[name=method_direct_trigger]",
            run: "click",
        },
        {
            content: "It ran",
            trigger: ".o_form_view:not(:has(.o_form_dirty)) button[name=method_direct_trigger]:enabled",
        },
        ...openApp(),
        ...openTopMenu("clarus_xero_job_errors_menu", "Unresolved Errors"),
        {
            content: "Nothing is left to fix",
            trigger: ".o_view_nocontent, .o_list_renderer:not(:has(.o_data_row))",
        },
        ...openTopMenu("clarus_xero_job_history_menu", "History"),
        {
            content: "Open the sent invoice",
            trigger: ".o_data_row:has(.o_field_badge:contains('Done')) td[name=display_name]",
            run: "click",
        },
        {
            content: "The job is done and carries the Xero number",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains('Done')",
        },
        {
            content: "Xero's number is shown",
            trigger: ".o_field_widget[name=xero_number]:not(:empty)",
        },
    ],
});

// Page checks for test_ui.py: each tour is started on the page it reads.

registry.category("web_tour.tours").add("clarus_xero_errors_page", {
    steps: () => [
        {
            content: "The failed invoice job is listed, marked failed, with Xero's reason",
            trigger: ".o_data_row:has(td[name=display_name]:contains('Invoice')):has(.o_field_badge:contains('Failed')):has(td[name=error_message]:contains('has no Xero tax rate'))",
        },
        {
            content: "Only failed jobs are listed",
            trigger: ".o_list_renderer:not(:has(.o_data_row .o_field_badge:not(:contains('Failed'))))",
        },
    ],
});

registry.category("web_tour.tours").add("clarus_xero_reauth_banner", {
    steps: () => [
        {
            content: "The connection says Xero refused the authorisation and what to do",
            trigger: ".o_form_view .alert-danger:contains('Xero refused the stored authorisation'):contains('Connect to Xero')",
        },
        {
            content: "It is marked as needing re-authorisation",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains('Needs re-authorisation')",
        },
        {
            content: "The button to authorise again is there",
            trigger: ".o_form_statusbar button[name=action_authorize]:contains('Connect to Xero')",
        },
    ],
});

registry.category("web_tour.tours").add("clarus_xero_invoice_reauth_banner", {
    steps: () => [
        {
            content: "The invoice warns that nothing is sent until Xero is re-authorised",
            trigger: ".o_form_view .alert-warning:contains('Xero needs re-authorisation')",
        },
    ],
});
