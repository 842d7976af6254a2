import { registry } from "@web/core/registry";

// The orders these tours work on are prepared by the Python tests in
// clarus_wms_allocation/tests/test_tours.py.

const CUSTOMER = "Tour Customer";

function openOrderBoard() {
    return [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button:enabled",
            run: "click",
        },
        {
            content: "Open Inventory",
            trigger: ".o_app[data-menu-xmlid='stock.menu_stock_root']",
            run: "click",
        },
        {
            content: "Open Allocation",
            trigger: ".o_main_navbar button[data-menu-xmlid='clarus_wms_allocation.clarus_allocation_menu']",
            run: "click",
        },
        {
            content: "Open the order board",
            trigger: ".dropdown-item[data-menu-xmlid='clarus_wms_allocation.sale_order_board_menu']",
            run: "click",
        },
        {
            content: "The order board is shown",
            trigger: ".o_breadcrumb .active:contains('Order Board')",
        },
    ];
}

function column(title) {
    return `.o_kanban_group:has(.o_column_title:contains('${title}'))`;
}

registry.category("web_tour.tours").add("clarus_wms_allocate_from_board", {
    url: "/odoo",
    steps: () => [
        ...openOrderBoard(),
        {
            content: "The confirmed order waits in To Allocate",
            trigger: `${column("To Allocate")} .o_kanban_record:contains('${CUSTOMER}')`,
        },
        {
            content: "Allocate it from its card",
            trigger: `${column("To Allocate")} .o_kanban_record:contains('${CUSTOMER}') button[name=action_clarus_allocate]`,
            run: "click",
        },
        {
            content: "The card moves to Allocated, without an Allocate button",
            trigger: `${column("Allocated")} .o_kanban_record:contains('${CUSTOMER}'):not(:has(button[name=action_clarus_allocate]))`,
        },
        {
            content: "Open the order",
            trigger: `${column("Allocated")} .o_kanban_record:contains('${CUSTOMER}')`,
            run: "click",
        },
        {
            content: "The line shows the allocated quantity",
            trigger: ".o_field_widget[name=order_line] .o_data_row:contains('Tour Widget') td[name=clarus_allocated_qty]:contains('5.00')",
        },
        {
            content: "The order says it is allocated",
            trigger: ".o_field_widget[name=clarus_fulfilment_stage]:contains('Allocated')",
        },
    ],
});

registry.category("web_tour.tours").add("clarus_wms_print_label", {
    url: "/odoo",
    steps: () => [
        ...openOrderBoard(),
        {
            content: "Open the shipped order",
            trigger: `${column("Shipped")} .o_kanban_record:contains('${CUSTOMER}')`,
            run: "click",
        },
        {
            content: "Open its delivery",
            trigger: ".o-form-buttonbox button[name=action_view_delivery]",
            run: "click",
        },
        {
            content: "The delivery is done",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains('Done')",
        },
        {
            content: "Open the label data",
            trigger: ".o_notebook .nav-link:contains('Label Data')",
            run: "click",
        },
        {
            content: "The label row carries the tracking reference",
            trigger: ".o_field_widget[name=clarus_shipment_label_ids] .o_data_row:contains('TRK-TOUR-7')",
        },
        {
            content: "Print the label",
            trigger: ".o_field_widget[name=clarus_shipment_label_ids] .o_data_row:contains('TRK-TOUR-7') button:has(i.fa-print)",
            run: "click",
        },
        {
            content: "The shipping label is shown, with the shipment and its tracking reference",
            trigger: ":iframe .clarus_shipping_label:contains('TRK-TOUR-7'):contains('Tour Widget')",
        },
        {
            content: "It is addressed to the customer",
            trigger: ":iframe .clarus_shipping_label:contains('9 Tour Street')",
        },
    ],
});
