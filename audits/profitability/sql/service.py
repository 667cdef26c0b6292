"""The service component of the ledger pass: minutes, and minutes x the hourly cost in force, of
the interactions per client and local month (the cost to serve)."""

from __future__ import annotations

import bisect
import datetime as dt

from django.db import connection
from django.utils import timezone

from audits.profitability.figures import rate_history
from audits.profitability.sql.fragments import (
    FAR_FUTURE,
    Window,
    _date,
    _moment,
    _pg,
    _restrict,
)
from clients.models import Client, Interaction
from clients.periods import local_midnight, month_index, month_start


def _service_sql(window: Window, scope, client_range):
    """Minutes, and minutes x the hourly cost in force (in cents), of interactions per client, local
    calendar month and flag. The cost of a client is the sum of these / 6000."""
    interaction, client = Interaction._meta.db_table, Client._meta.db_table
    where, where_params = _restrict("i.client_id", scope, client_range)
    period = [
        _moment(local_midnight(window.start)),
        _moment(local_midnight(window.end + dt.timedelta(days=1))),
    ]
    until = _moment(local_midnight(window.as_of + dt.timedelta(days=1)))
    history = rate_history()
    if _pg():
        # Slots: bucket i of width_bucket(t, bounds) is bounds[i] <= t < bounds[i + 1] (0 before the
        # first); each lies inside one month of the trend (or before it) and one cost per person.
        # The month starts of the trend window (``since`` is the first day of a month).
        months = [
            month_start(index) for index in range(month_index(window.since), month_index(window.as_of) + 1)
        ]
        starts = sorted({*months, *(since for _, since, _, _ in history)})
        bounds = [local_midnight(day) for day in starts]
        slot_month = [None] + [
            months[bisect.bisect_right(months, day) - 1] if day >= window.since else None for day in starts
        ]
        staff = sorted({user for user, *_ in history})
        index_of = {user: position for position, user in enumerate(staff)}
        slot_of_staff = [0] * ((staff[-1] if staff else 0) + 1)
        for user, position in index_of.items():
            slot_of_staff[user] = position + 1
        cents = [0] * (len(starts) + 1) * (len(staff) + 1)
        for user, since, until_day, cost in history:
            for slot, day in enumerate([dt.date.min, *starts]):
                if since <= day < until_day:
                    cents[slot * (len(staff) + 1) + index_of[user] + 1] = cost
        sql = f"""
            SELECT i.client_id, (%s::date[])[w.slot + 1] AS month,
                (i.started_at >= %s AND i.started_at < %s) AS p,
                (c.acquired_at IS NULL OR i.started_at >= c.acquired_at) AS l,
                SUM(i.duration_minutes) AS minutes,
                SUM(i.duration_minutes
                    * (%s::bigint[])[w.slot * %s + COALESCE((%s::int[])[i.staff_id + 1], 0) + 1]) AS cost_x6000
            FROM {interaction} i
            JOIN (
                SELECT id, CAST(acquired_on AS timestamp) AT TIME ZONE %s AS acquired_at FROM {client}
            ) c ON c.id = i.client_id
            CROSS JOIN LATERAL (SELECT width_bucket(i.started_at, %s::timestamptz[]) AS slot) w
            WHERE i.started_at < %s{where}
            GROUP BY 1, 2, 3, 4
        """
        params = [
            slot_month,
            *period,
            cents,
            len(staff) + 1,
            slot_of_staff,
            timezone.get_current_timezone_name(),
            bounds,
            until,
            *where_params,
        ]
        return sql, params
    ops = connection.ops
    tzname = timezone.get_current_timezone_name()
    day_sql, day_params = ops.datetime_cast_date_sql("i.started_at", (), tzname)
    rates = [
        (user, _moment(local_midnight(since)), _moment(local_midnight(until_day)), cost)
        for user, since, until_day, cost in history
    ] or [(0, _moment(local_midnight(FAR_FUTURE)), _moment(local_midnight(FAR_FUTURE)), 0)]
    values = ", ".join(["(%s, %s, %s, %s)"] * len(rates))
    sql = f"""
        WITH rate (user_id, valid_from, valid_to, cents) AS (VALUES {values})
        SELECT i.client_id,
            CASE WHEN {day_sql} >= %s THEN date({day_sql}, 'start of month') END AS month,
            (i.started_at >= %s AND i.started_at < %s) AS p,
            (c.acquired_on IS NULL OR {day_sql} >= c.acquired_on) AS l,
            SUM(i.duration_minutes) AS minutes,
            SUM(i.duration_minutes * COALESCE(r.cents, 0)) AS cost_x6000
        FROM {interaction} i
        JOIN {client} c ON c.id = i.client_id
        LEFT JOIN rate r ON r.user_id = i.staff_id AND i.started_at >= r.valid_from AND i.started_at < r.valid_to
        WHERE i.started_at < %s{where}
        GROUP BY 1, 2, 3, 4
    """
    params = [
        *[value for rate in rates for value in rate],
        *day_params,
        _date(window.since),
        *day_params,
        *period,
        *day_params,
        until,
        *where_params,
    ]
    return sql, params
