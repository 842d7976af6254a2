import { registry } from "@web/core/registry";

// The order this tour works on is prepared by TestTours.test_run_a_shift_from_the_board
// in clarus_wms_allocation/tests/test_tours.py: five Tour Widgets for Tour Customer,
// committed for yesterday, in stock, from a warehouse that delivers in three steps
// (pick, pack, ship).

const CUSTOMER = "Tour Customer";

function column(title) {
    return `.o_kanban_group:has(.o_column_title:contains('${title}'))`;
}

function card(title) {
    return `${column(title)} .o_kanban_record:contains('${CUSTOMER}')`;
}

// A card can be dragged once nothing is being saved on it.
function draggableCard(title) {
    return `${column(title)} .o_kanban_record.o_draggable:contains('${CUSTOMER}')`;
}

/**
 * From the card in `stage`, open the transfer to work on now, check it is the expected
 * step of the route (its reference holds `code`), validate it and come back to the board.
 */
function doStep(stage, code, what) {
    return [
        {
            content: `Open the picking from the card in ${stage}`,
            trigger: `${card(stage)} button[name=action_clarus_board_open_picking]`,
            run: "click",
        },
        {
            content: `It is ${what}`,
            trigger: `.o_breadcrumb .active:contains('${code}')`,
        },
        {
            content: `${what} is ready, with the Tour Widgets`,
            trigger: ".o_statusbar_status .o_arrow_button_current:contains('Ready')",
        },
        {
            content: "It holds the order's Tour Widgets",
            trigger: ".o_field_widget[name=move_ids] .o_data_row:contains('Tour Widget')",
        },
        {
            content: `Validate ${what}`,
            trigger: ".o_form_statusbar button[name=button_validate]",
            run: "click",
        },
        {
            content: `${what} is done`,
            trigger: ".o_statusbar_status .o_arrow_button_current:contains('Done')",
        },
        {
            content: "Back to the board",
            trigger: ".o_breadcrumb a:contains('Order Board')",
            run: "click",
        },
    ];
}

registry.category("web_tour.tours").add("clarus_wms_run_a_shift_from_the_board", {
    url: "/odoo",
    steps: () => [
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
            content: "The order waits in To Allocate: five ordered, none allocated, late",
            trigger: `${card("To Allocate")}:has(.o_clarus_ordered:contains('5.00')):has(.o_clarus_allocated:contains('0.00')):has(.o_clarus_late)`,
        },
        {
            content: "Drag it to Picking",
            trigger: draggableCard("To Allocate"),
            // Dropped in the middle of the column: its top edge is outside of it.
            async run(helpers) {
                await helpers.drag_and_drop(column("Picking"), { position: "center" });
            },
        },
        {
            content: "Odoo refuses, and says why",
            trigger: ".modal:contains('Picking starts in the transfer')",
        },
        {
            content: "Close the message",
            trigger: ".modal .modal-footer button.btn-primary",
            run: "click",
        },
        {
            content: "The card is back in To Allocate",
            trigger: `body:not(:has(.modal)) ${card("To Allocate")}`,
        },
        {
            content: "Raise its priority from the card",
            trigger: `${card("To Allocate")} .o_priority_star[aria-label='High']`,
            run: "click",
        },
        {
            content: "The card shows the new priority",
            trigger: `${card("To Allocate")} .o_priority_star[aria-label='High'][aria-checked='true']`,
        },
        {
            content: "Allocate it from its card",
            trigger: `${card("To Allocate")} button[name=action_clarus_allocate]`,
            run: "click",
        },
        {
            content: "The card moves to Allocated, five allocated, nothing short",
            trigger: `${card("Allocated")}:has(.o_clarus_allocated:contains('5.00')):not(:has(.o_clarus_shortage))`,
        },
        {
            content: "Drag it back to To Allocate",
            trigger: draggableCard("Allocated"),
            async run(helpers) {
                await helpers.drag_and_drop(column("To Allocate"), { position: "center" });
            },
        },
        {
            content: "Deallocated: nothing allocated any more",
            trigger: `${card("To Allocate")}:has(.o_clarus_allocated:contains('0.00')) button[name=action_clarus_allocate]`,
        },
        {
            content: "Drag it to Allocated",
            trigger: draggableCard("To Allocate"),
            async run(helpers) {
                await helpers.drag_and_drop(column("Allocated"), { position: "center" });
            },
        },
        {
            content: "Allocated again by the drop",
            trigger: `${card("Allocated")}:has(.o_clarus_allocated:contains('5.00')):not(:has(button[name=action_clarus_allocate]))`,
        },
        ...doStep("Allocated", "/PICK/", "the pick"),
        {
            content: "Picked: the card moves to Picking, five picked",
            trigger: `${card("Picking")}:has(.o_clarus_picked:contains('5.00')):has(.o_clarus_shipped:contains('0.00'))`,
        },
        ...doStep("Picking", "/PACK/", "the pack"),
        {
            content: "Packed: the card moves to Packed",
            trigger: card("Packed"),
        },
        ...doStep("Packed", "/OUT/", "the delivery"),
        {
            content: "The order is shipped: five shipped, no longer late",
            trigger: `${card("Shipped")}:has(.o_clarus_shipped:contains('5.00')):not(:has(.o_clarus_late))`,
        },
        {
            content: "Print its label from the card",
            trigger: `${card("Shipped")} button[name=action_clarus_board_print_label]`,
            run: "click",
        },
        {
            content: "The shipping label is addressed to the customer",
            trigger: ":iframe .clarus_shipping_label:contains('Tour Widget'):contains('9 Tour Street')",
        },
    ],
});
