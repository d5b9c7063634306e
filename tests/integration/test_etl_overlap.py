"""The ETL's overlaps keep exactly-once: stored ids pre-filtered before COPY, the next
object prefetched while the current one loads, sessions rebuilt while groups load."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from clickstream.etl import loader, object_load, sessions
from clickstream.etl.dependencies import build_dependencies
from clickstream.simulation.raw import SyntheticShop, write_objects
from tests.integration.conftest import run_against, warehouse_fingerprint

START = datetime(2026, 11, 27, 9, tzinfo=UTC)
NOW = START + timedelta(hours=6)


def generated(count: int, seed: int = 31) -> list[dict]:
    return list(SyntheticShop(seed=seed).events(count, START, timedelta(hours=2)))


@pytest.mark.slow
def test_a_trickle_of_stored_ids_in_every_object_is_filtered_not_staged(
    warehouse_db, second_warehouse, raw_bucket, etl_settings, monkeypatch
):
    # Given 2,400 events in about 20 objects, loaded into a clean reference warehouse
    s3, bucket = raw_bucket
    records = generated(2400)
    write_objects(s3, bucket, records, events_per_object=120)
    reference = run_against(second_warehouse, s3, bucket, NOW)
    clean = warehouse_fingerprint(second_warehouse)

    # and a warehouse that already holds every 50th of them (loaded from another bucket,
    # so each object holds a few stored ids)
    s3.create_bucket(Bucket=bucket + "-early")
    write_objects(s3, bucket + "-early", records[::50], events_per_object=120, seed=8)
    # (a backfill: it leaves the watermark where a first run starts from)
    early = run_against(
        warehouse_db, s3, bucket + "-early", NOW, "backfill", first_hour=START, last_hour=NOW
    )
    assert early.rows_inserted == len(records[::50])

    staged: list[str] = []
    stage = object_load._stage_object

    def counting(cur, obj, *args, **kwargs):
        staged.append(obj.key)
        return stage(cur, obj, *args, **kwargs)

    monkeypatch.setattr(object_load, "_stage_object", counting)

    # When the ETL loads the objects
    deps = build_dependencies(etl_settings, s3=s3)
    deps.now = lambda: NOW
    summary = loader.run_etl(loader.RunRequest(), deps)

    # Then only the first object met a duplicate in COPY and went through the merge; the
    # others were filtered before COPY, and the warehouse equals the clean one
    assert summary.objects_loaded == reference.objects_loaded > 10
    assert len(staged) == 1
    assert summary.rows_inserted == reference.rows_inserted - early.rows_inserted
    assert summary.rows_duplicate == early.rows_inserted
    assert warehouse_fingerprint(warehouse_db) == clean
    assert (
        warehouse_db.scalar(
            "select sum(rows_duplicate) from etl_manifest where run_id = %s",
            (summary.run_id,),
        )
        == early.rows_inserted
    )


@pytest.mark.slow
def test_many_small_groups_with_background_rebuilds_equal_one_group(
    warehouse_db, second_warehouse, raw_bucket, etl_settings, monkeypatch
):
    # Given events whose sessions span several objects, loaded once in one group
    s3, bucket = raw_bucket
    records = generated(3000, seed=32)
    write_objects(s3, bucket, records, events_per_object=100)
    run_against(second_warehouse, s3, bucket, NOW)
    clean = warehouse_fingerprint(second_warehouse)

    rebuilds: list[int] = []
    rebuild = sessions.rebuild_queued_sessions

    def counting(conn):
        rebuilt = rebuild(conn)
        rebuilds.append(rebuilt)
        return rebuilt

    monkeypatch.setattr(sessions, "rebuild_queued_sessions", counting)

    # When the same objects load in groups of about 300 rows, each group's sessions
    # rebuilt in the background while the next group loads (and the next object of each
    # prefetched while the current one copies)
    settings = dataclasses.replace(etl_settings, group_max_rows=300)
    deps = build_dependencies(settings, s3=s3)
    deps.now = lambda: NOW
    summary = loader.run_etl(loader.RunRequest(), deps)

    # Then sessions were rebuilt during the load, and the result is the clean warehouse
    assert summary.objects_loaded > 20
    assert rebuilds and sum(rebuilds) > 0
    assert warehouse_db.scalar("select count(*) from etl_dirty_sessions") == 0
    assert warehouse_db.scalar("select count(*) from etl_dirty_dates") == 0
    assert warehouse_fingerprint(warehouse_db) == clean
