import { registry } from "@web/core/registry";

// The jobs this tour reads (one invoice sent, one refused by Xero) are prepared by
// clarus_xero_connector/tests/test_dashboard.py.

const MENU = "clarus_xero_connector";

function openDashboardMenu(xmlid, title) {
    return [
        {
            content: "Open the Dashboard menu",
            trigger: `.o_main_navbar button[data-menu-xmlid='${MENU}.clarus_xero_connection_dashboard_menu']`,
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

registry.category("web_tour.tours").add("clarus_xero_dashboard", {
    url: "/odoo",
    steps: () => [
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
        {
            content: "The connection's card counts the failed job",
            trigger: ".o_kanban_record .o_clarus_xero_figure_failed:contains('Failed 1')",
        },
        {
            content: "It measures the time from posting to Xero of the invoice sent",
            trigger: ".o_kanban_record .o_clarus_xero_figure_median:contains(' s')",
        },
        {
            content: "It says how long the oldest queued job has waited",
            trigger: ".o_kanban_record .o_clarus_xero_figure_queue_age:contains(' s')",
        },
        ...openDashboardMenu("clarus_xero_job_hourly_menu", "Jobs per Hour"),
        {
            content: "Jobs per hour is a bar chart",
            trigger: ".o_graph_renderer canvas",
        },
        {
            content: "Read it as a table",
            trigger: ".o_switch_view.o_pivot",
            run: "click",
        },
        {
            content: "The hour holds the job done and the job failed",
            trigger: ".o_pivot thead:contains('Done'):contains('Failed')",
        },
        ...openDashboardMenu("clarus_xero_job_latency_menu", "Time to Xero"),
        {
            content: "Time to Xero measures the median and the 95th percentile",
            trigger: ".o_pivot thead:contains('Seconds to Xero (median)'):contains('95th percentile')",
        },
        {
            content: "The invoice sent today is measured",
            trigger: ".o_pivot tbody .o_pivot_cell_value:not(:empty)",
        },
        ...openDashboardMenu("clarus_xero_job_queue_age_menu", "Queue Age"),
        {
            content: "Queue age measures the seconds in queue",
            trigger: ".o_pivot thead:contains('Seconds in queue')",
        },
        ...openDashboardMenu("clarus_xero_api_usage_menu", "API Calls"),
        {
            content: "API calls per hour is a bar chart",
            trigger: ".o_graph_renderer canvas",
        },
        ...openDashboardMenu("clarus_xero_job_error_analysis_menu", "Errors by Cause"),
        {
            content: "Errors by cause is a bar chart",
            trigger: ".o_graph_renderer canvas",
        },
        {
            content: "Read it as a table",
            trigger: ".o_switch_view.o_pivot",
            run: "click",
        },
        {
            content: "The failure is a validation error of an invoice",
            trigger: ".o_pivot tbody th:contains('Validation')",
        },
        {
            content: "Open the jobs behind the validation errors",
            trigger: ".o_pivot tbody tr:has(th:contains('Validation')) .o_pivot_cell_value:first",
            run: "click",
        },
        {
            content: "The failed invoice is listed with its reason",
            trigger: ".o_data_row:contains('has no Xero tax rate')",
        },
        {
            content: "Open it",
            trigger: ".o_data_row:contains('has no Xero tax rate') td[name=display_name]",
            run: "click",
        },
        {
            content: "Its form says what went wrong and what to do",
            trigger: ".o_form_view .alert-danger:contains('What to do')",
        },
    ],
});
