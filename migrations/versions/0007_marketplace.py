"""Marketplace: providers, menus, calendars, bookings, subsidies, card payments, reviews.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27

Adds providers (with the communities they serve), service_items (menu lines,
prices in fen and optionally in minutes), meal_menus (dated daily menus),
weekly_slots and calendar_exceptions, bookings and booking_events (each step,
who acted and for whom), subsidy_rules / subsidy_months (a monthly budget the
database refuses to overspend) / subsidy_grants, card_payments and
stripe_events (each webhook event once), reviews and review_reports.

The time bank gains a fourth kind of account, 'provider' (floor 0, no cap):
the accounts table's kind check and its one-fund-one-guarantee index are
rebuilt to allow many provider accounts per community.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


ACCOUNT_KINDS_BEFORE = "kind IN ('member', 'fund', 'guarantee')"
ACCOUNT_KINDS_AFTER = "kind IN ('member', 'fund', 'guarantee', 'provider')"


def _rebuild_account_kinds(kinds: str, system_where: str) -> None:
    """Replace the accounts table's kind check and its system-account index.

    SQLite cannot alter a check constraint: batch mode copies the table
    (migrations/env.py runs SQLite migrations with foreign keys off and checks
    them afterwards, since transfers and holds point at this table).
    """
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index("uq_accounts_community_system")
        batch_op.drop_constraint(op.f("ck_accounts_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_accounts_kind"), kinds)
        batch_op.create_index(
            "uq_accounts_community_system",
            ["community_id", "kind"],
            unique=True,
            sqlite_where=sa.text(system_where),
            postgresql_where=sa.text(system_where),
        )


def upgrade():
    _rebuild_account_kinds(ACCOUNT_KINDS_AFTER, "kind IN ('fund', 'guarantee')")
    op.create_table('subsidy_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=True),
    sa.Column('min_age', sa.Integer(), nullable=True),
    sa.Column('fen_per_unit', sa.Integer(), nullable=False),
    sa.Column('monthly_budget_fen', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("category IS NULL OR category IN ('housekeeping', 'childcare', 'meals')", name=op.f('ck_subsidy_rules_category')),
    sa.CheckConstraint('fen_per_unit > 0', name=op.f('ck_subsidy_rules_fen_per_unit_positive')),
    sa.CheckConstraint('min_age IS NULL OR min_age >= 0', name=op.f('ck_subsidy_rules_min_age_not_negative')),
    sa.CheckConstraint('monthly_budget_fen >= 0', name=op.f('ck_subsidy_rules_budget_not_negative')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_subsidy_rules_community_id_communities')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_subsidy_rules_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subsidy_rules'))
    )
    with op.batch_alter_table('subsidy_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subsidy_rules_community_id'), ['community_id'], unique=False)

    op.create_table('providers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('categories', sa.String(length=60), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=False),
    sa.Column('contact_name', sa.String(length=40), nullable=False),
    sa.Column('contact_phone', sa.String(length=20), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('licence_number', sa.String(length=60), nullable=False),
    sa.Column('licence_details', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('status_reason', sa.String(length=300), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('street_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('min_notice_hours', sa.Integer(), nullable=False),
    sa.Column('response_hours', sa.Integer(), nullable=False),
    sa.Column('rating_count', sa.Integer(), nullable=False),
    sa.Column('rating_sum', sa.Integer(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('company', 'individual')", name=op.f('ck_providers_kind')),
    sa.CheckConstraint("status IN ('applied', 'verified', 'rejected', 'suspended')", name=op.f('ck_providers_status')),
    sa.CheckConstraint('min_notice_hours >= 0', name=op.f('ck_providers_min_notice_not_negative')),
    sa.CheckConstraint('rating_count >= 0 AND rating_sum >= 0', name=op.f('ck_providers_rating_not_negative')),
    sa.CheckConstraint('response_hours > 0', name=op.f('ck_providers_response_hours_positive')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_providers_account_id_accounts')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_providers_decided_by_id_users')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_providers_owner_id_users')),
    sa.ForeignKeyConstraint(['street_id'], ['streets.id'], name=op.f('fk_providers_street_id_streets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_providers')),
    sa.UniqueConstraint('account_id', name=op.f('uq_providers_account_id'))
    )
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_providers_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_providers_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_providers_street_id'), ['street_id'], unique=False)

    op.create_table('subsidy_months',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('budget_fen', sa.Integer(), nullable=False),
    sa.Column('spent_fen', sa.Integer(), nullable=False),
    sa.CheckConstraint('spent_fen >= 0 AND spent_fen <= budget_fen', name=op.f('ck_subsidy_months_within_budget')),
    sa.ForeignKeyConstraint(['rule_id'], ['subsidy_rules.id'], name=op.f('fk_subsidy_months_rule_id_subsidy_rules')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subsidy_months')),
    sa.UniqueConstraint('rule_id', 'month', name='uq_subsidy_months_rule_month')
    )
    op.create_table('calendar_exceptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('on_date', sa.Date(), nullable=False),
    sa.Column('is_closed', sa.Boolean(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.CheckConstraint('capacity IS NULL OR capacity >= 0', name=op.f('ck_calendar_exceptions_capacity_not_negative')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_calendar_exceptions_provider_id_providers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_exceptions')),
    sa.UniqueConstraint('provider_id', 'on_date', name='uq_calendar_exceptions_day')
    )
    with op.batch_alter_table('calendar_exceptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_exceptions_provider_id'), ['provider_id'], unique=False)

    op.create_table('provider_communities',
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_provider_communities_community_id_communities')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_provider_communities_provider_id_providers')),
    sa.PrimaryKeyConstraint('provider_id', 'community_id', name=op.f('pk_provider_communities'))
    )
    with op.batch_alter_table('provider_communities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_communities_community_id'), ['community_id'], unique=False)

    op.create_table('service_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=80), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('unit', sa.String(length=10), nullable=False),
    sa.Column('price_fen', sa.Integer(), nullable=False),
    sa.Column('price_minutes', sa.Integer(), nullable=True),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('min_age_months', sa.Integer(), nullable=True),
    sa.Column('max_age_months', sa.Integer(), nullable=True),
    sa.Column('cancel_fee_percent', sa.Integer(), nullable=False),
    sa.Column('is_paused', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("category IN ('housekeeping', 'childcare', 'meals')", name=op.f('ck_service_items_category')),
    sa.CheckConstraint("unit IN ('hour', 'visit', 'meal', 'session')", name=op.f('ck_service_items_unit')),
    sa.CheckConstraint('cancel_fee_percent >= 0 AND cancel_fee_percent <= 100', name=op.f('ck_service_items_cancel_fee_percent')),
    sa.CheckConstraint('capacity IS NULL OR capacity > 0', name=op.f('ck_service_items_capacity_positive')),
    sa.CheckConstraint('duration_minutes > 0', name=op.f('ck_service_items_duration_positive')),
    sa.CheckConstraint('min_age_months IS NULL OR max_age_months IS NULL OR min_age_months <= max_age_months', name=op.f('ck_service_items_age_range')),
    sa.CheckConstraint('price_fen > 0', name=op.f('ck_service_items_price_positive')),
    sa.CheckConstraint('price_minutes IS NULL OR price_minutes > 0', name=op.f('ck_service_items_price_minutes_positive')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_service_items_provider_id_providers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_items'))
    )
    with op.batch_alter_table('service_items', schema=None) as batch_op:
        batch_op.create_index('ix_service_items_provider', ['provider_id', 'is_paused'], unique=False)

    op.create_table('weekly_slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.Time(), nullable=False),
    sa.Column('ends_at', sa.Time(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.CheckConstraint('capacity > 0', name=op.f('ck_weekly_slots_capacity_positive')),
    sa.CheckConstraint('starts_at < ends_at', name=op.f('ck_weekly_slots_starts_before_ends')),
    sa.CheckConstraint('weekday >= 0 AND weekday <= 6', name=op.f('ck_weekly_slots_weekday')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_weekly_slots_provider_id_providers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_weekly_slots')),
    sa.UniqueConstraint('provider_id', 'weekday', 'starts_at', name='uq_weekly_slots_start')
    )
    with op.batch_alter_table('weekly_slots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_weekly_slots_provider_id'), ['provider_id'], unique=False)

    op.create_table('bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=True),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('booked_by_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=80), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('unit', sa.String(length=10), nullable=False),
    sa.Column('unit_price_fen', sa.Integer(), nullable=False),
    sa.Column('total_fen', sa.Integer(), nullable=False),
    sa.Column('subsidy_fen', sa.Integer(), nullable=False),
    sa.Column('total_minutes', sa.Integer(), nullable=True),
    sa.Column('payment_method', sa.String(length=10), nullable=False),
    sa.Column('fulfilment', sa.String(length=10), nullable=True),
    sa.Column('child_age_months', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('cancel_fee_fen', sa.Integer(), nullable=False),
    sa.Column('refunded_fen', sa.Integer(), nullable=False),
    sa.Column('hold_id', sa.Integer(), nullable=True),
    sa.Column('hours_transfer_id', sa.Integer(), nullable=True),
    sa.Column('paid_on_site_at', sa.DateTime(), nullable=True),
    sa.Column('paid_on_site_by_id', sa.Integer(), nullable=True),
    sa.Column('dispute_reason', sa.String(length=500), nullable=False),
    sa.Column('idempotency_key', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("payment_method IN ('card', 'hours', 'on_site', 'subsidy')", name=op.f('ck_bookings_payment_method')),
    sa.CheckConstraint("status IN ('pending_payment', 'requested', 'accepted', 'completed', 'declined', 'expired', 'cancelled', 'no_show', 'disputed', 'refunded')", name=op.f('ck_bookings_status')),
    sa.CheckConstraint('cancel_fee_fen >= 0 AND refunded_fen >= 0', name=op.f('ck_bookings_fees_not_negative')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_bookings_quantity_positive')),
    sa.CheckConstraint('starts_at < ends_at', name=op.f('ck_bookings_starts_before_ends')),
    sa.CheckConstraint('subsidy_fen >= 0 AND subsidy_fen <= total_fen', name=op.f('ck_bookings_subsidy_within_total')),
    sa.CheckConstraint('total_minutes IS NULL OR total_minutes > 0', name=op.f('ck_bookings_minutes_positive')),
    sa.CheckConstraint('unit_price_fen > 0', name=op.f('ck_bookings_unit_price_positive')),
    sa.ForeignKeyConstraint(['booked_by_id'], ['users.id'], name=op.f('fk_bookings_booked_by_id_users')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_bookings_community_id_communities')),
    sa.ForeignKeyConstraint(['hold_id'], ['holds.id'], name=op.f('fk_bookings_hold_id_holds')),
    sa.ForeignKeyConstraint(['hours_transfer_id'], ['transfers.id'], name=op.f('fk_bookings_hours_transfer_id_transfers')),
    sa.ForeignKeyConstraint(['item_id'], ['service_items.id'], name=op.f('fk_bookings_item_id_service_items')),
    sa.ForeignKeyConstraint(['paid_on_site_by_id'], ['users.id'], name=op.f('fk_bookings_paid_on_site_by_id_users')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_bookings_provider_id_providers')),
    sa.ForeignKeyConstraint(['resident_id'], ['users.id'], name=op.f('fk_bookings_resident_id_users')),
    sa.ForeignKeyConstraint(['slot_id'], ['weekly_slots.id'], name=op.f('fk_bookings_slot_id_weekly_slots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookings')),
    sa.UniqueConstraint('hold_id', name=op.f('uq_bookings_hold_id')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_bookings_idempotency_key'))
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bookings_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bookings_item_id'), ['item_id'], unique=False)
        batch_op.create_index('ix_bookings_provider_start', ['provider_id', 'starts_at', 'status'], unique=False)
        batch_op.create_index('ix_bookings_resident', ['resident_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_bookings_status_deadline', ['status', 'expires_at'], unique=False)

    op.create_table('meal_menus',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('served_on', sa.Date(), nullable=False),
    sa.Column('dishes', sa.String(length=500), nullable=False),
    sa.Column('portions', sa.Integer(), nullable=False),
    sa.Column('offers_pickup', sa.Boolean(), nullable=False),
    sa.Column('offers_delivery', sa.Boolean(), nullable=False),
    sa.CheckConstraint('offers_pickup OR offers_delivery', name=op.f('ck_meal_menus_pickup_or_delivery')),
    sa.CheckConstraint('portions > 0', name=op.f('ck_meal_menus_portions_positive')),
    sa.ForeignKeyConstraint(['item_id'], ['service_items.id'], name=op.f('fk_meal_menus_item_id_service_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meal_menus')),
    sa.UniqueConstraint('item_id', 'served_on', name='uq_meal_menus_item_day')
    )
    with op.batch_alter_table('meal_menus', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meal_menus_served_on'), ['served_on'], unique=False)

    op.create_table('booking_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('on_behalf_of_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_booking_events_actor_id_users')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_booking_events_booking_id_bookings')),
    sa.ForeignKeyConstraint(['on_behalf_of_id'], ['users.id'], name=op.f('fk_booking_events_on_behalf_of_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_events'))
    )
    with op.batch_alter_table('booking_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_events_booking_id'), ['booking_id'], unique=False)

    op.create_table('card_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('customer_id', sa.String(length=255), nullable=True),
    sa.Column('setup_intent_id', sa.String(length=255), nullable=True),
    sa.Column('payment_method_id', sa.String(length=255), nullable=True),
    sa.Column('payment_intent_id', sa.String(length=255), nullable=True),
    sa.Column('charge_due_at', sa.DateTime(), nullable=True),
    sa.Column('captured_fen', sa.Integer(), nullable=False),
    sa.Column('refunded_fen', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('started', 'saved', 'authorised', 'captured', 'cancelled', 'failed')", name=op.f('ck_card_payments_status')),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_card_payments_amount_positive')),
    sa.CheckConstraint('captured_fen >= 0 AND captured_fen <= amount_fen', name=op.f('ck_card_payments_captured_within_amount')),
    sa.CheckConstraint('refunded_fen >= 0 AND refunded_fen <= captured_fen', name=op.f('ck_card_payments_refunded_within_captured')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_card_payments_booking_id_bookings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_payments')),
    sa.UniqueConstraint('booking_id', name=op.f('uq_card_payments_booking_id')),
    sa.UniqueConstraint('payment_intent_id', name=op.f('uq_card_payments_payment_intent_id')),
    sa.UniqueConstraint('setup_intent_id', name=op.f('uq_card_payments_setup_intent_id'))
    )
    with op.batch_alter_table('card_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_payments_charge_due_at'), ['charge_due_at'], unique=False)

    op.create_table('reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('stars', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=1000), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('reply_text', sa.String(length=1000), nullable=False),
    sa.Column('replied_by_id', sa.Integer(), nullable=True),
    sa.Column('replied_at', sa.DateTime(), nullable=True),
    sa.Column('is_hidden', sa.Boolean(), nullable=False),
    sa.Column('hidden_reason', sa.String(length=300), nullable=False),
    sa.Column('hidden_by_id', sa.Integer(), nullable=True),
    sa.Column('hidden_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("NOT is_hidden OR hidden_reason <> ''", name=op.f('ck_reviews_hidden_has_reason')),
    sa.CheckConstraint('stars >= 1 AND stars <= 5', name=op.f('ck_reviews_stars')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_reviews_author_id_users')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_reviews_booking_id_bookings')),
    sa.ForeignKeyConstraint(['hidden_by_id'], ['users.id'], name=op.f('fk_reviews_hidden_by_id_users')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_reviews_provider_id_providers')),
    sa.ForeignKeyConstraint(['replied_by_id'], ['users.id'], name=op.f('fk_reviews_replied_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews')),
    sa.UniqueConstraint('booking_id', name=op.f('uq_reviews_booking_id'))
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index('ix_reviews_provider', ['provider_id', 'is_hidden', 'created_at'], unique=False)

    op.create_table('stripe_events',
    sa.Column('id', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=80), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_stripe_events_booking_id_bookings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_events'))
    )
    with op.batch_alter_table('stripe_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stripe_events_booking_id'), ['booking_id'], unique=False)

    op.create_table('subsidy_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('reserved', 'used', 'returned')", name=op.f('ck_subsidy_grants_status')),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_subsidy_grants_amount_positive')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_subsidy_grants_booking_id_bookings')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_subsidy_grants_community_id_communities')),
    sa.ForeignKeyConstraint(['rule_id'], ['subsidy_rules.id'], name=op.f('fk_subsidy_grants_rule_id_subsidy_rules')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subsidy_grants')),
    sa.UniqueConstraint('booking_id', name=op.f('uq_subsidy_grants_booking_id'))
    )
    with op.batch_alter_table('subsidy_grants', schema=None) as batch_op:
        batch_op.create_index('ix_subsidy_grants_community_month', ['community_id', 'month'], unique=False)

    op.create_table('review_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.Column('handled_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['handled_by_id'], ['users.id'], name=op.f('fk_review_reports_handled_by_id_users')),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_review_reports_reporter_id_users')),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_review_reports_review_id_reviews')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_reports')),
    sa.UniqueConstraint('review_id', 'reporter_id', name='uq_review_reports_once')
    )
    with op.batch_alter_table('review_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_reports_review_id'), ['review_id'], unique=False)



def downgrade():
    with op.batch_alter_table('review_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_reports_review_id'))

    op.drop_table('review_reports')
    with op.batch_alter_table('subsidy_grants', schema=None) as batch_op:
        batch_op.drop_index('ix_subsidy_grants_community_month')

    op.drop_table('subsidy_grants')
    with op.batch_alter_table('stripe_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stripe_events_booking_id'))

    op.drop_table('stripe_events')
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_reviews_provider')

    op.drop_table('reviews')
    with op.batch_alter_table('card_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_payments_charge_due_at'))

    op.drop_table('card_payments')
    with op.batch_alter_table('booking_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_events_booking_id'))

    op.drop_table('booking_events')
    with op.batch_alter_table('meal_menus', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meal_menus_served_on'))

    op.drop_table('meal_menus')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_status_deadline')
        batch_op.drop_index('ix_bookings_resident')
        batch_op.drop_index('ix_bookings_provider_start')
        batch_op.drop_index(batch_op.f('ix_bookings_item_id'))
        batch_op.drop_index(batch_op.f('ix_bookings_community_id'))

    op.drop_table('bookings')
    with op.batch_alter_table('weekly_slots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_weekly_slots_provider_id'))

    op.drop_table('weekly_slots')
    with op.batch_alter_table('service_items', schema=None) as batch_op:
        batch_op.drop_index('ix_service_items_provider')

    op.drop_table('service_items')
    with op.batch_alter_table('provider_communities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_communities_community_id'))

    op.drop_table('provider_communities')
    with op.batch_alter_table('calendar_exceptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_exceptions_provider_id'))

    op.drop_table('calendar_exceptions')
    op.drop_table('subsidy_months')
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_providers_street_id'))
        batch_op.drop_index(batch_op.f('ix_providers_status'))
        batch_op.drop_index(batch_op.f('ix_providers_owner_id'))

    op.drop_table('providers')
    with op.batch_alter_table('subsidy_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subsidy_rules_community_id'))

    op.drop_table('subsidy_rules')
    op.execute("DELETE FROM accounts WHERE kind = 'provider'")
    _rebuild_account_kinds(ACCOUNT_KINDS_BEFORE, "user_id IS NULL")
